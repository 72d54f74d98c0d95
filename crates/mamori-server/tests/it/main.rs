//! HTTP tests of the server over a real socket, against real databases.

mod access;
mod audit;
mod helpers;
mod signin;
