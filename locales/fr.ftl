# Les pages de claimgate en français (vouvoiement). Même structure que en.ftl.
# Avant « : » et « ; », une espace insécable (U+00A0 / U+202F).

## Ce qu’une application reçoit et ce que claimgate conserve, en complément d’objet.

claim-name = votre nom
claim-email = votre adresse e-mail
claim-picture = votre photo de profil
list-two = { $first } et { $second }
list-three = { $first }, { $second } et { $third }

## L’avis, affiché avant l’envoi vers le fournisseur.

notice-title = Se connecter à { $app }
notice-heading = { $app } vous demande de vous connecter
notice-receives = { $app } recevra { $claims }, ainsi qu’un identifiant qui lui est propre.
notice-receives-nothing = { $app } recevra uniquement un identifiant qui lui est propre{"\u202F"}; elle ne pourra donc pas vous reconnaître ailleurs.
notice-may-share = Vous pouvez aussi partager, si vous le souhaitez{"\u00A0"}:
notice-claim-needed = ({ $app } indique en avoir besoin)
notice-also-asks = { $app } demande aussi { $claims }, ce que vous pouvez refuser{"\u00A0"}: vous choisirez après la connexion, sauf si vous avez déjà choisi.
notice-continue = Continuer
notice-continue-with = Continuer avec { $provider }
notice-apple-name-once = Apple ne communique votre nom que la première fois que vous vous connectez ici avec Apple{"\u00A0"}: les applications qui l’ont reçu le conservent, et les connexions suivantes n’en transmettent aucun.
notice-keeps = claimgate conserve { $claims }{"\u202F"}; rien d’autre de votre compte n’est conservé. Vous pouvez à tout moment consulter, retirer et télécharger ce que vous avez partagé sur votre page claimgate (/me).
notice-read = Lire la politique de confidentialité
notice-version = Version de la politique{"\u00A0"}: { $version }.
notice-version-revised = Version de la politique{"\u00A0"}: { $version }, révisée le { $revised }.

## La page de connexion du fournisseur de développement.

dev-title = Connexion de test
dev-heading = Connexion de test (pas un vrai fournisseur)
dev-intro = Ce fournisseur de substitution connecte un utilisateur d’exemple et envoie ces données. claimgate ne garde que ce que la politique autorise et écarte le reste.
dev-sign-in = Se connecter comme l’utilisateur d’exemple

## /me : ce que claimgate conserve sur la personne connectée.

me-title = Vos données
me-heading = Ce que claimgate conserve à votre sujet
me-name = Nom
me-email = Adresse e-mail
me-picture = Photo de profil
me-not-stored = rien n’est conservé
me-picture-alt = Votre photo de profil, telle que claimgate la conserve
me-session = Rien d’autre de votre compte { $provider } n’est conservé. Connexion le { $signed_in }{"\u202F"}; cette session prend fin au plus tard le { $ends_by }.
me-apps-heading = Applications de cette session
me-app-received = { $app } a reçu { $claims } le { $when }.
me-app-received-nothing = { $app } a reçu uniquement un identifiant qui lui est propre, le { $when }.
me-no-apps = Aucune application n’a rien reçu dans cette session.
me-consents-heading = Ce que vous avez accepté de partager
me-no-consents = Vous n’avez accepté de partager aucune donnée avec une application.
me-consent-receives = Reçoit { $claims }.
me-consent-receives-nothing = Reçoit uniquement un identifiant qui lui est propre.
me-consent-declined = Vous avez refusé de partager { $claims }.
me-consent-given = Accepté le { $when }.
me-consent-given-version = Accepté le { $when } sous la version { $version } de la politique.
me-consent-outdated = La politique a changé depuis{"\u00A0"}: votre accord vous sera demandé à nouveau.
me-withdraw-claim = { $claim ->
    [email] Ne plus partager mon adresse e-mail avec { $app }
    [picture] Ne plus partager ma photo de profil avec { $app }
   *[name] Ne plus partager mon nom avec { $app }
}
me-withdraw-app = Retirer tout mon accord à { $app }
me-export = Télécharger mes données (JSON)
me-notice = Politique de confidentialité
me-notice-version = Politique de confidentialité, version { $version }
me-notice-version-revised = Politique de confidentialité, version { $version }, révisée le { $revised }
me-delete = Supprimer mes données
not-signed-in-heading = Aucune session ouverte
not-signed-in-text = claimgate n’a aucune session pour ce navigateur.
deleted-title = Données supprimées
deleted-heading = Vos données sont supprimées
deleted-text = claimgate ne conserve plus rien à votre sujet. Les applications qui ont reçu votre nom, votre adresse e-mail ou votre photo conservent leurs propres copies, selon leurs propres politiques de confidentialité.
deleted-told-heading = { $count ->
    [one] Application informée de votre déconnexion
   *[other] Applications informées de votre déconnexion
}
deleted-told = { $app }{"\u00A0"}: informée.
deleted-not-yet = { $app }{"\u00A0"}: pas encore joignable{"\u202F"}; claimgate réessaie pendant une heure.

## Déconnexion.

sign-out = Se déconnecter
sign-out-heading = Se déconnecter{"\u202F"}?
sign-out-text = Cela met fin à votre session claimgate et à l’accès de chaque application que vous avez ouverte par son intermédiaire.
signed-out-title = Déconnexion
signed-out-heading = Votre session est fermée
signed-out-text = Votre session claimgate a pris fin.

## Pages d’erreur.

error-return = Revenir à l’application
error-nothing-kept = Rien vous concernant n’a été conservé de cette tentative.
error-code = Code d’erreur{"\u00A0"}: { $code }
try-again = Veuillez réessayer dans un instant.
unavailable-title = Temporairement indisponible
too-long-title = Requête trop longue
too-long-text = L’adresse de cette requête est trop longue.
too-large-title = Requête trop volumineuse
too-large-text = Cette requête contient trop de données.
too-many-title = Trop de requêtes
too-many-text = Trop de demandes de connexion proviennent de votre réseau. Veuillez patienter un instant, puis réessayer.
not-found-title = Introuvable
no-such-provider = Ce fournisseur de connexion n’existe pas.
no-such-page = Cette page n’existe pas.
request-invalid-title = Cette demande de connexion n’est pas valide
expired-title = Cette connexion a expiré
other-browser-title = Cette connexion appartient à un autre navigateur
other-browser-text = Elle a été commencée dans un autre navigateur, ou le cookie de connexion de ce navigateur a expiré. Aucune session n’a été ouverte. Veuillez recommencer depuis l’application.
sign-in-failed-title = Échec de la connexion
sign-in-failed-text = { $provider } n’a pas pu vous connecter.
sign-in-not-completed = La connexion n’a pas abouti.
sign-in-refused-title = Connexion refusée
sign-in-unavailable-title = Connexion indisponible
refused-missing-email = Le fournisseur n’a pas envoyé d’adresse e-mail.
refused-unverified-email = Le fournisseur n’a pas vérifié cette adresse e-mail.
refused-email-domain = Ce domaine de messagerie n’est pas autorisé ici.
refused-missing-subject = Le fournisseur n’a pas indiqué quel compte s’est connecté.
refused-hosted-domain = Ce domaine Google Workspace n’est pas autorisé ici.
refused-tenant = Cette organisation Microsoft n’est pas autorisée ici.
app-not-registered = Cette application n’est pas enregistrée auprès de claimgate.
app-no-longer-registered = Cette application n’est plus enregistrée.
return-not-registered = L’adresse de retour n’est pas enregistrée pour cette application.
no-client-id = L’application n’a pas indiqué qui elle est (client_id).
no-redirect-uri = L’application n’a pas indiqué où revenir (redirect_uri).
not-form-data = La requête ne contient pas de données de formulaire valides.
param-repeated = Un paramètre de cette requête est indiqué plusieurs fois.
form-incomplete = Le formulaire est incomplet. Veuillez recommencer depuis l’application.
request-uri-invalid = La demande de connexion a expiré ou a déjà été utilisée (invalid_request_uri). Veuillez recommencer depuis l’application.
page-used = La page a déjà été utilisée ou est trop ancienne. Veuillez recommencer depuis l’application.
link-used = Le lien de connexion a déjà été utilisé, a expiré ou appartient à un autre navigateur. Veuillez recommencer depuis l’application.
sign-in-used = La connexion a expiré ou a déjà été utilisée. Veuillez recommencer depuis l’application.
open-page-again = Veuillez rouvrir la page que vous vouliez consulter.
sign-out-invalid-title = Cette demande de déconnexion n’est pas valide
hint-not-ours = L’id_token_hint n’a pas été émis par ce service.
hint-client-mismatch = Le client_id ne correspond pas à l’id_token_hint.
logout-needs-client = post_logout_redirect_uri exige un client_id ou un id_token_hint.
request-refused-title = Requête refusée
form-expired = Ce formulaire a expiré. Veuillez rouvrir la page.
not-signed-in-title = Aucune session
nothing-to-delete = Il n’y a rien à supprimer pour ce navigateur.
nothing-to-withdraw = Il n’y a rien à retirer pour ce navigateur.
unknown-app-title = Application inconnue
nothing-withdraw-title = Rien à retirer
no-consent-to-withdraw = Vous n’avez accepté de partager aucune donnée avec cette application.
not-optional-title = Donnée non facultative
not-optional-text = Cette application en a besoin pour vous connecter{"\u00A0"}: retirez plutôt tout votre accord à cette application.
