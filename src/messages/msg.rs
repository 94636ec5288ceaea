//! Every message a page may show, by its Fluent id. Pages name a [`Msg`],
//! never a string: a message the files lack, or a file's message no page
//! uses, is a failing test (`messages::tests`), not a blank on a page.

macro_rules! messages {
    ($($variant:ident = $id:literal,)*) => {
        /// A message of `locales/<tag>.ftl`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($variant,)* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$variant,)*];

            /// The message's id in the Fluent files.
            pub fn id(self) -> &'static str {
                match self { $(Msg::$variant => $id,)* }
            }
        }
    };
}

messages! {
    // What the app receives and claimgate keeps, in running text.
    ClaimName = "claim-name",
    ClaimEmail = "claim-email",
    ClaimPicture = "claim-picture",
    ListTwo = "list-two",
    ListThree = "list-three",
    // The notice.
    NoticeTitle = "notice-title",
    NoticeHeading = "notice-heading",
    NoticeReceives = "notice-receives",
    NoticeReceivesNothing = "notice-receives-nothing",
    NoticeMayShare = "notice-may-share",
    NoticeClaimNeeded = "notice-claim-needed",
    NoticeAlsoAsks = "notice-also-asks",
    NoticeContinue = "notice-continue",
    NoticeContinueWith = "notice-continue-with",
    NoticeAppleNameOnce = "notice-apple-name-once",
    NoticeKeeps = "notice-keeps",
    NoticeRead = "notice-read",
    NoticeVersion = "notice-version",
    NoticeVersionRevised = "notice-version-revised",
    // The dev provider's page.
    DevTitle = "dev-title",
    DevHeading = "dev-heading",
    DevIntro = "dev-intro",
    DevSignIn = "dev-sign-in",
    // /me.
    MeTitle = "me-title",
    MeHeading = "me-heading",
    MeName = "me-name",
    MeEmail = "me-email",
    MePicture = "me-picture",
    MeNotStored = "me-not-stored",
    MePictureAlt = "me-picture-alt",
    MeSession = "me-session",
    MeAppsHeading = "me-apps-heading",
    MeAppReceived = "me-app-received",
    MeAppReceivedNothing = "me-app-received-nothing",
    MeNoApps = "me-no-apps",
    MeConsentsHeading = "me-consents-heading",
    MeNoConsents = "me-no-consents",
    MeConsentReceives = "me-consent-receives",
    MeConsentReceivesNothing = "me-consent-receives-nothing",
    MeConsentDeclined = "me-consent-declined",
    MeConsentGiven = "me-consent-given",
    MeConsentGivenVersion = "me-consent-given-version",
    MeConsentOutdated = "me-consent-outdated",
    MeWithdrawClaim = "me-withdraw-claim",
    MeWithdrawApp = "me-withdraw-app",
    MeExport = "me-export",
    MeNotice = "me-notice",
    MeNoticeVersion = "me-notice-version",
    MeNoticeVersionRevised = "me-notice-version-revised",
    MeDelete = "me-delete",
    NotSignedInHeading = "not-signed-in-heading",
    NotSignedInText = "not-signed-in-text",
    DeletedTitle = "deleted-title",
    DeletedHeading = "deleted-heading",
    DeletedText = "deleted-text",
    DeletedToldHeading = "deleted-told-heading",
    DeletedTold = "deleted-told",
    DeletedNotYet = "deleted-not-yet",
    // Sign-out.
    SignOut = "sign-out",
    SignOutHeading = "sign-out-heading",
    SignOutText = "sign-out-text",
    SignedOutTitle = "signed-out-title",
    SignedOutHeading = "signed-out-heading",
    SignedOutText = "signed-out-text",
    // Error pages: what every one says.
    ErrorReturn = "error-return",
    ErrorNothingKept = "error-nothing-kept",
    ErrorCode = "error-code",
    TryAgain = "try-again",
    UnavailableTitle = "unavailable-title",
    TooLongTitle = "too-long-title",
    TooLongText = "too-long-text",
    TooLargeTitle = "too-large-title",
    TooLargeText = "too-large-text",
    TooManyTitle = "too-many-title",
    TooManyText = "too-many-text",
    NotFoundTitle = "not-found-title",
    NoSuchProvider = "no-such-provider",
    NoSuchPage = "no-such-page",
    // A sign-in that cannot go on.
    RequestInvalidTitle = "request-invalid-title",
    ExpiredTitle = "expired-title",
    OtherBrowserTitle = "other-browser-title",
    OtherBrowserText = "other-browser-text",
    SignInFailedTitle = "sign-in-failed-title",
    SignInFailedText = "sign-in-failed-text",
    SignInNotCompleted = "sign-in-not-completed",
    SignInRefusedTitle = "sign-in-refused-title",
    SignInUnavailableTitle = "sign-in-unavailable-title",
    RefusedMissingEmail = "refused-missing-email",
    RefusedUnverifiedEmail = "refused-unverified-email",
    RefusedEmailDomain = "refused-email-domain",
    RefusedMissingSubject = "refused-missing-subject",
    RefusedHostedDomain = "refused-hosted-domain",
    RefusedTenant = "refused-tenant",
    AppNotRegistered = "app-not-registered",
    AppNoLongerRegistered = "app-no-longer-registered",
    ReturnNotRegistered = "return-not-registered",
    NoClientId = "no-client-id",
    NoRedirectUri = "no-redirect-uri",
    NotFormData = "not-form-data",
    ParamRepeated = "param-repeated",
    FormIncomplete = "form-incomplete",
    RequestUriInvalid = "request-uri-invalid",
    PageUsed = "page-used",
    LinkUsed = "link-used",
    SignInUsed = "sign-in-used",
    OpenPageAgain = "open-page-again",
    // Sign-out and /me requests that cannot be done.
    SignOutInvalidTitle = "sign-out-invalid-title",
    HintNotOurs = "hint-not-ours",
    HintClientMismatch = "hint-client-mismatch",
    LogoutNeedsClient = "logout-needs-client",
    RequestRefusedTitle = "request-refused-title",
    FormExpired = "form-expired",
    NotSignedInTitle = "not-signed-in-title",
    NothingToDelete = "nothing-to-delete",
    NothingToWithdraw = "nothing-to-withdraw",
    UnknownAppTitle = "unknown-app-title",
    NothingWithdrawTitle = "nothing-withdraw-title",
    NoConsentToWithdraw = "no-consent-to-withdraw",
    NotOptionalTitle = "not-optional-title",
    NotOptionalText = "not-optional-text",
}
