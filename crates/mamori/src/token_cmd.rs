//! `mamori token …`: service tokens for machine clients of `POST /api/v1/decisions`.

use anyhow::{Context, Result};
use clap::Subcommand;
use mamori_store::Actor;

use crate::ledger_cmd::OrgArg;
use crate::DbArgs;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token that may only ask for decisions; it is printed once and kept only as a hash.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// What uses it (e.g. "メールゲートウェイ").
        #[arg(long)]
        name: String,
    },
    /// List the organization's tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
    },
    /// Revoke a token; servers stop accepting it within 5 seconds.
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        id: i64,
    },
}

pub async fn run(command: TokenCommand) -> Result<()> {
    let actor = Actor::system("mamori token");
    match command {
        TokenCommand::Create { db, org, name } => {
            let store = db.open_existing().await?;
            let o = org.resolve(&store).await?;
            let token = mamori_server::auth::new_service_token();
            let t = store
                .create_api_token(o.id, &name, &mamori_server::auth::token_hash(&token), &actor)
                .await
                .context("creating the token")?;
            println!("{token}");
            eprintln!(
                "トークン #{}「{}」（判断APIのみ）を作成しました。再表示はできません。Authorization: Bearer で送ってください。",
                t.id, t.name
            );
        }
        TokenCommand::List { db, org } => {
            let store = db.open_existing().await?;
            let o = org.resolve(&store).await?;
            for t in store.api_tokens(o.id).await? {
                let state = t.revoked_at.as_deref().map(|r| format!("失効 {r}")).unwrap_or_else(|| "有効".into());
                println!("#{}\t{}\t{}\t作成 {}\t{state}", t.id, t.name, t.scope, t.created_at);
            }
        }
        TokenCommand::Revoke { db, org, id } => {
            let store = db.open_existing().await?;
            let o = org.resolve(&store).await?;
            store.revoke_api_token(o.id, id, &actor).await.with_context(|| format!("トークン #{id} を失効できません"))?;
            println!("トークン #{id} を失効させました。");
        }
    }
    Ok(())
}
