# claimgate's pages in English. Each message id is a `Msg` in
# src/messages/msg.rs; `$app`, `$provider` and the like are filled in by
# the page and escaped there. Operators override any message, or add a
# language, with a file of the same shape in `[pages] locales_dir`.

## What an app receives and claimgate keeps, as the object of a sentence.

claim-name = your name
claim-email = your email address
claim-picture = your profile picture
# Two or three of the above, joined as the language does.
list-two = { $first } and { $second }
list-three = { $first }, { $second } and { $third }

## The notice, shown before the user is sent to the provider.

notice-title = Sign in to { $app }
notice-heading = { $app } asks you to sign in
notice-receives = { $app } will receive { $claims }, and an identifier that is unique to it.
notice-receives-nothing = { $app } will receive only an identifier that is unique to it, so it cannot recognise you elsewhere.
notice-may-share = You may also share, if you choose:
notice-claim-needed = ({ $app } says it needs this)
notice-also-asks = { $app } also asks for { $claims }, which you may decline: you choose after signing in, unless you chose before.
notice-continue = Continue
notice-continue-with = Continue with { $provider }
notice-apple-name-once = Apple shares your name only the first time you sign in with Apple here: apps that received it keep it, and later sign-ins carry no name.
notice-keeps = claimgate keeps { $claims }; nothing else from your account is kept. You can see, withdraw and download what you shared at any time on your claimgate page (/me).
notice-read = Read the privacy notice
notice-version = Notice version { $version }.
notice-version-revised = Notice version { $version }, revised { $revised }.

## The development provider's stand-in sign-in page.

dev-title = Dev sign-in
dev-heading = Dev sign-in (not a real provider)
dev-intro = This stand-in provider signs in one sample user and sends these claims. claimgate keeps only what the notice allows and drops the rest.
dev-sign-in = Sign in as the sample user

## /me: what claimgate stores about the signed-in user.

me-title = Your data
me-heading = What claimgate stores about you
me-name = Name
me-email = Email address
me-picture = Profile picture
me-not-stored = not stored
me-picture-alt = Your profile picture, as claimgate keeps it
me-session = Nothing else from your { $provider } account is kept. Signed in { $signed_in }; this session ends by { $ends_by } at the latest.
me-apps-heading = Apps in this session
me-app-received = { $app } received { $claims } on { $when }.
me-app-received-nothing = { $app } received only an identifier that is unique to it, on { $when }.
me-no-apps = No app has received anything in this session.
me-consents-heading = What you agreed to share
me-no-consents = You have not agreed to share anything with an app.
me-consent-receives = Receives { $claims }.
me-consent-receives-nothing = Receives only an identifier that is unique to it.
me-consent-declined = You declined { $claims }.
me-consent-given = Agreed on { $when }.
me-consent-given-version = Agreed on { $when } under notice version { $version }.
me-consent-outdated = The notice has changed since: you will be asked again.
me-withdraw-claim = { $claim ->
    [email] Stop sharing my email address with { $app }
    [picture] Stop sharing my profile picture with { $app }
   *[name] Stop sharing my name with { $app }
}
me-withdraw-app = Withdraw everything from { $app }
me-export = Download my data (JSON)
me-notice = Privacy notice
me-notice-version = Privacy notice version { $version }
me-notice-version-revised = Privacy notice version { $version }, revised { $revised }
me-delete = Delete my data
not-signed-in-heading = You are not signed in
not-signed-in-text = claimgate holds no session for this browser.
deleted-title = Deleted
deleted-heading = Your data is deleted
deleted-text = claimgate holds nothing about you any more. Apps that received your name, email address or picture keep their own copies under their own privacy policies.
deleted-told-heading = { $count ->
    [one] App told that you signed out
   *[other] Apps told that you signed out
}
deleted-told = { $app }: told.
deleted-not-yet = { $app }: not reachable yet; claimgate keeps trying for an hour.

## Signing out.

sign-out = Sign out
sign-out-heading = Sign out?
sign-out-text = This ends your claimgate session and the access of every app you signed in to through it.
signed-out-title = Signed out
signed-out-heading = You are signed out
signed-out-text = Your claimgate session has ended.

## Error pages.

error-return = Return to the application
error-nothing-kept = Nothing about you was kept from this attempt.
error-code = Error code: { $code }
try-again = Please try again in a moment.
unavailable-title = Temporarily unavailable
too-long-title = Request too long
too-long-text = The address of this request is too long.
too-large-title = Request too large
too-large-text = This request carries too much data.
too-many-title = Too many requests
too-many-text = Too many sign-in requests came from your network. Please wait a moment and try again.
not-found-title = Not found
no-such-provider = There is no such sign-in provider.
no-such-page = There is no such page.
request-invalid-title = This sign-in request is not valid
expired-title = This sign-in has expired
other-browser-title = This sign-in belongs to another browser
other-browser-text = It was started in another browser, or this browser's sign-in cookie has expired. Nothing was signed in. Please start again from the application.
sign-in-failed-title = Sign-in failed
sign-in-failed-text = { $provider } could not sign you in.
sign-in-not-completed = The sign-in did not complete.
sign-in-refused-title = Sign-in refused
sign-in-unavailable-title = Sign-in is unavailable
refused-missing-email = The provider did not send an email address.
refused-unverified-email = The provider has not verified this email address.
refused-email-domain = This email domain is not allowed here.
refused-missing-subject = The provider did not say which account signed in.
refused-hosted-domain = This Google Workspace domain is not allowed here.
refused-tenant = This Microsoft organisation is not allowed here.
app-not-registered = This application is not registered with claimgate.
app-no-longer-registered = This application is no longer registered.
return-not-registered = The return address is not registered for this application.
no-client-id = The application did not say who it is (client_id).
no-redirect-uri = The application did not say where to return (redirect_uri).
not-form-data = The request is not valid form data.
param-repeated = A parameter of this request is given more than once.
form-incomplete = The form is not complete. Please start again from the application.
request-uri-invalid = The sign-in request has expired or was already used (invalid_request_uri). Please start again from the application.
page-used = The page was already used or is too old. Please start again from the application.
link-used = The sign-in link was already used, has expired, or belongs to another browser. Please start again from the application.
sign-in-used = The sign-in has expired or was already used. Please start again from the application.
open-page-again = Please open the page you wanted again.
sign-out-invalid-title = This sign-out request is not valid
hint-not-ours = The id_token_hint was not issued by this service.
hint-client-mismatch = client_id does not match the id_token_hint.
logout-needs-client = post_logout_redirect_uri needs a client_id or an id_token_hint.
request-refused-title = Request refused
form-expired = This form has expired. Please open the page again.
not-signed-in-title = Not signed in
nothing-to-delete = There is nothing to delete for this browser.
nothing-to-withdraw = There is nothing to withdraw for this browser.
unknown-app-title = Unknown app
nothing-withdraw-title = Nothing to withdraw
no-consent-to-withdraw = You have not agreed to share anything with this app.
not-optional-title = Not an optional claim
not-optional-text = This app needs it to sign you in: withdraw the whole app instead.
