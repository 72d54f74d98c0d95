//! `mamori user …`: recovering an account from the server's own machine, for when no
//! administrator can sign in (the administrator is the one locked out, or forgot the
//! password). Each change is recorded in the ledger like the web page's, with `cli` as the
//! actor.

use anyhow::{Context, Result};
use clap::Subcommand;
use mamori_store::Actor;

use crate::ledger_cmd::OrgArg;
use crate::DbArgs;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Open a locked account: ends a lockout after failed sign-ins and lifts a lock
    /// (also a violation's suspension), as the administrator's ロック解除 does.
    Unlock {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// The account's login.
        #[arg(long)]
        login: String,
    },
    /// Issue a temporary password, printed once; it must be changed at the next sign-in.
    /// The account's sessions end.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        login: String,
    },
}

pub async fn run(command: UserCommand) -> Result<()> {
    let actor = Actor::system("cli");
    match command {
        UserCommand::Unlock { db, org, login } => {
            let store = db.open_existing().await?;
            let o = org.resolve(&store).await?;
            let user =
                store.user_in_org(o.id, &login).await.with_context(|| format!("団体 {} にログインID {login} はありません", o.code))?;
            let was_suspended = user.locked;
            store.unlock_user(o.id, user.id, &actor).await.with_context(|| format!("{login} のロックを解除できません"))?;
            println!("{login} のロックを解除しました（失敗回数も0に戻しました）。");
            if was_suspended {
                println!("このアカウントは利用停止（ロック）されていましたが、これも解除しました。違反対応による停止だった場合は確認してください。");
            }
        }
        UserCommand::ResetPassword { db, org, login } => {
            let store = db.open_existing().await?;
            let o = org.resolve(&store).await?;
            let user =
                store.user_in_org(o.id, &login).await.with_context(|| format!("団体 {} にログインID {login} はありません", o.code))?;
            let password = mamori_server::auth::temporary_password();
            let hash = mamori_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            store.set_password(&user, &hash, true, &actor).await.with_context(|| format!("{login} のパスワードを設定できません"))?;
            println!("{login} の仮パスワード: {password}");
            println!("次回のログイン時に新しいパスワードの設定が求められます。");
            if user.refused_at(chrono::Utc::now()) {
                println!("このアカウントはロック中です。mamori user unlock --login {login} で解除してください。");
            }
        }
    }
    Ok(())
}
