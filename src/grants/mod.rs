//! The token endpoint's grants and what they issue: the authorization-code
//! grant (`code`), the refresh-token grant with rotation and reuse
//! detection (`refresh`), the tokens of one authorization (`issue`), and
//! a Shared Signals receiver's token (`client_credentials`).

pub mod client_credentials;
pub mod code;
pub mod issue;
pub mod refresh;
