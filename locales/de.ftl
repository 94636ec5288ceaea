# Die Seiten von claimgate auf Deutsch (Sie-Form). Aufbau wie en.ftl.

## Was eine Anwendung erhält und claimgate speichert, als Objekt eines Satzes (Akkusativ).

claim-name = Ihren Namen
claim-email = Ihre E-Mail-Adresse
claim-picture = Ihr Profilbild
list-two = { $first } und { $second }
list-three = { $first }, { $second } und { $third }

## Der Hinweis vor der Anmeldung beim Anbieter.

notice-title = Bei { $app } anmelden
notice-heading = { $app } bittet Sie, sich anzumelden
notice-receives = { $app } erhält { $claims } sowie eine Kennung, die nur für diese Anwendung gilt.
notice-receives-nothing = { $app } erhält nur eine Kennung, die nur für diese Anwendung gilt, und kann Sie daher anderswo nicht wiedererkennen.
notice-may-share = Wenn Sie möchten, können Sie außerdem teilen:
notice-claim-needed = ({ $app } gibt an, dies zu benötigen)
notice-also-asks = { $app } bittet außerdem um { $claims }. Sie können das ablehnen: Sie entscheiden nach der Anmeldung, sofern Sie nicht schon früher entschieden haben.
notice-continue = Weiter
notice-continue-with = Weiter mit { $provider }
notice-apple-name-once = Apple teilt Ihren Namen nur bei Ihrer ersten Anmeldung mit Apple hier: Anwendungen, die ihn erhalten haben, behalten ihn, und spätere Anmeldungen enthalten keinen Namen.
notice-keeps = claimgate speichert { $claims }; sonst wird nichts aus Ihrem Konto gespeichert. Auf Ihrer claimgate-Seite (/me) können Sie jederzeit einsehen, widerrufen und herunterladen, was Sie geteilt haben.
notice-read = Datenschutzhinweis lesen
notice-version = Version des Hinweises: { $version }.
notice-version-revised = Version des Hinweises: { $version }, überarbeitet am { $revised }.

## Die Test-Anmeldeseite des Entwicklungsanbieters.

dev-title = Test-Anmeldung
dev-heading = Test-Anmeldung (kein echter Anbieter)
dev-intro = Dieser Platzhalter-Anbieter meldet einen Beispielnutzer an und sendet diese Angaben. claimgate behält nur, was der Hinweis erlaubt, und verwirft den Rest.
dev-sign-in = Als Beispielnutzer anmelden

## /me: was claimgate über die angemeldete Person speichert.

me-title = Ihre Daten
me-heading = Was claimgate über Sie speichert
me-name = Name
me-email = E-Mail-Adresse
me-picture = Profilbild
me-not-stored = nicht gespeichert
me-picture-alt = Ihr Profilbild, wie claimgate es speichert
me-session = Sonst wird nichts aus Ihrem { $provider }-Konto gespeichert. Angemeldet am { $signed_in }; diese Sitzung endet spätestens am { $ends_by }.
me-apps-heading = Anwendungen in dieser Sitzung
me-app-received = { $app } hat am { $when } { $claims } erhalten.
me-app-received-nothing = { $app } hat am { $when } nur eine Kennung erhalten, die nur für diese Anwendung gilt.
me-no-apps = In dieser Sitzung hat keine Anwendung etwas erhalten.
me-consents-heading = Was Sie zu teilen zugestimmt haben
me-no-consents = Sie haben keiner Anwendung zugestimmt, etwas zu teilen.
me-consent-receives = Erhält { $claims }.
me-consent-receives-nothing = Erhält nur eine Kennung, die nur für diese Anwendung gilt.
me-consent-declined = Sie haben abgelehnt, { $claims } zu teilen.
me-consent-given = Zugestimmt am { $when }.
me-consent-given-version = Zugestimmt am { $when } unter Version { $version } des Hinweises.
me-consent-outdated = Der Hinweis hat sich seitdem geändert: Sie werden erneut gefragt.
me-withdraw-claim = { $claim ->
    [email] Meine E-Mail-Adresse nicht mehr mit { $app } teilen
    [picture] Mein Profilbild nicht mehr mit { $app } teilen
   *[name] Meinen Namen nicht mehr mit { $app } teilen
}
me-withdraw-app = Alle Einwilligungen gegenüber { $app } widerrufen
me-export = Meine Daten herunterladen (JSON)
me-notice = Datenschutzhinweis
me-notice-version = Datenschutzhinweis, Version { $version }
me-notice-version-revised = Datenschutzhinweis, Version { $version }, überarbeitet am { $revised }
me-delete = Meine Daten löschen
not-signed-in-heading = Sie sind nicht angemeldet
not-signed-in-text = claimgate hat für diesen Browser keine Sitzung.
deleted-title = Gelöscht
deleted-heading = Ihre Daten sind gelöscht
deleted-text = claimgate speichert nichts mehr über Sie. Anwendungen, die Ihren Namen, Ihre E-Mail-Adresse oder Ihr Bild erhalten haben, behalten ihre eigenen Kopien nach ihren eigenen Datenschutzbestimmungen.
deleted-told-heading = { $count ->
    [one] Anwendung, der Ihre Abmeldung mitgeteilt wurde
   *[other] Anwendungen, denen Ihre Abmeldung mitgeteilt wurde
}
deleted-told = { $app }: benachrichtigt.
deleted-not-yet = { $app }: noch nicht erreichbar; claimgate versucht es eine Stunde lang weiter.

## Abmelden.

sign-out = Abmelden
sign-out-heading = Abmelden?
sign-out-text = Damit enden Ihre claimgate-Sitzung und der Zugriff jeder Anwendung, bei der Sie sich darüber angemeldet haben.
signed-out-title = Abgemeldet
signed-out-heading = Sie sind abgemeldet
signed-out-text = Ihre claimgate-Sitzung ist beendet.

## Fehlerseiten.

error-return = Zurück zur Anwendung
error-nothing-kept = Von diesem Versuch wurde nichts über Sie gespeichert.
error-code = Fehlercode: { $code }
try-again = Bitte versuchen Sie es gleich noch einmal.
unavailable-title = Vorübergehend nicht verfügbar
too-long-title = Anfrage zu lang
too-long-text = Die Adresse dieser Anfrage ist zu lang.
too-large-title = Anfrage zu groß
too-large-text = Diese Anfrage enthält zu viele Daten.
too-many-title = Zu viele Anfragen
too-many-text = Aus Ihrem Netzwerk kamen zu viele Anmeldeanfragen. Bitte warten Sie einen Moment und versuchen Sie es erneut.
not-found-title = Nicht gefunden
no-such-provider = Diesen Anmeldeanbieter gibt es nicht.
no-such-page = Diese Seite gibt es nicht.
request-invalid-title = Diese Anmeldeanfrage ist ungültig
expired-title = Diese Anmeldung ist abgelaufen
other-browser-title = Diese Anmeldung gehört zu einem anderen Browser
other-browser-text = Sie wurde in einem anderen Browser begonnen, oder das Anmelde-Cookie dieses Browsers ist abgelaufen. Es wurde niemand angemeldet. Bitte beginnen Sie erneut in der Anwendung.
sign-in-failed-title = Anmeldung fehlgeschlagen
sign-in-failed-text = { $provider } konnte Sie nicht anmelden.
sign-in-not-completed = Die Anmeldung wurde nicht abgeschlossen.
sign-in-refused-title = Anmeldung abgelehnt
sign-in-unavailable-title = Anmeldung nicht verfügbar
refused-missing-email = Der Anbieter hat keine E-Mail-Adresse gesendet.
refused-unverified-email = Der Anbieter hat diese E-Mail-Adresse nicht bestätigt.
refused-email-domain = Diese E-Mail-Domain ist hier nicht zugelassen.
refused-missing-subject = Der Anbieter hat nicht angegeben, welches Konto sich angemeldet hat.
refused-hosted-domain = Diese Google-Workspace-Domain ist hier nicht zugelassen.
refused-tenant = Diese Microsoft-Organisation ist hier nicht zugelassen.
app-not-registered = Diese Anwendung ist bei claimgate nicht registriert.
app-no-longer-registered = Diese Anwendung ist nicht mehr registriert.
return-not-registered = Die Rücksprungadresse ist für diese Anwendung nicht registriert.
no-client-id = Die Anwendung hat nicht angegeben, wer sie ist (client_id).
no-redirect-uri = Die Anwendung hat nicht angegeben, wohin zurückgekehrt werden soll (redirect_uri).
not-form-data = Die Anfrage enthält keine gültigen Formulardaten.
param-repeated = Ein Parameter dieser Anfrage ist mehrfach angegeben.
form-incomplete = Das Formular ist unvollständig. Bitte beginnen Sie erneut in der Anwendung.
request-uri-invalid = Die Anmeldeanfrage ist abgelaufen oder wurde bereits verwendet (invalid_request_uri). Bitte beginnen Sie erneut in der Anwendung.
page-used = Die Seite wurde bereits verwendet oder ist zu alt. Bitte beginnen Sie erneut in der Anwendung.
link-used = Der Anmeldelink wurde bereits verwendet, ist abgelaufen oder gehört zu einem anderen Browser. Bitte beginnen Sie erneut in der Anwendung.
sign-in-used = Die Anmeldung ist abgelaufen oder wurde bereits verwendet. Bitte beginnen Sie erneut in der Anwendung.
open-page-again = Bitte öffnen Sie die gewünschte Seite erneut.
sign-out-invalid-title = Diese Abmeldeanfrage ist ungültig
hint-not-ours = Der id_token_hint wurde nicht von diesem Dienst ausgestellt.
hint-client-mismatch = client_id passt nicht zum id_token_hint.
logout-needs-client = post_logout_redirect_uri erfordert eine client_id oder einen id_token_hint.
request-refused-title = Anfrage abgelehnt
form-expired = Dieses Formular ist abgelaufen. Bitte öffnen Sie die Seite erneut.
not-signed-in-title = Nicht angemeldet
nothing-to-delete = Für diesen Browser gibt es nichts zu löschen.
nothing-to-withdraw = Für diesen Browser gibt es nichts zu widerrufen.
unknown-app-title = Unbekannte Anwendung
nothing-withdraw-title = Nichts zu widerrufen
no-consent-to-withdraw = Sie haben nicht zugestimmt, etwas mit dieser Anwendung zu teilen.
not-optional-title = Keine optionale Angabe
not-optional-text = Diese Anwendung benötigt sie für Ihre Anmeldung: Widerrufen Sie stattdessen alle Einwilligungen gegenüber der Anwendung.
