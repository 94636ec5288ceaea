//! The token endpoint's grants and what they issue: the authorization-code
//! grant (`code`), the refresh-token grant with rotation and reuse
//! detection (`refresh`), and the tokens of one authorization (`issue`).

pub mod code;
pub mod issue;
pub mod refresh;
