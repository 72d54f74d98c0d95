//! HTTP tests of the server over a real socket, against real databases.

mod access;
mod audit;
mod decisions;
mod drafts;
mod helpers;
mod incidents;
mod ledger;
mod passwords;
mod requests;
mod sessions;
mod signin;
mod stories;
mod text_input;
mod violations;
mod yearly;
