//! One module per grant the token endpoint accepts.
mod authorization_code;
mod client_credentials;
mod refresh_token;
