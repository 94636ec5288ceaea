//! Integration tests: one binary, one module per capability.

mod backchannel;
mod cluster;
mod conformance;
mod deploy;
mod downstream_hostile;
mod forward_auth;
mod github;
mod helpers;
mod hostile_values;
mod hot_paths;
mod idp;
mod leak;
mod limits;
mod login;
mod login_binding;
mod microsoft;
mod oidc_client;
mod operations;
mod pictures;
mod pictures_upstream;
mod properties;
mod redis_store;
mod refresh;
mod sessions;
mod signing;
mod upstream_hostile;
