//! The command line: the arguments (`args`), one small file per group of
//! verbs that calls into the library and prints, and what they print in
//! common (`output`, shared in substance with the service through
//! `engine::inspect`). `run` only dispatches. No logic lives here that a
//! test or the service would need; this and `main` are the only places
//! `anyhow` is used.

mod args;
mod backup_cmd;
mod ddl_cmd;
mod debug;
mod inspect_cmds;
mod output;
mod repo_cmds;
mod restore_cmd;
mod service_cmds;

use anyhow::Result;

pub use args::*;
pub use output::{progress_for_terminal, summary_json};

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Init(args) => repo_cmds::init(args),
        Command::Key(cmd) => repo_cmds::key(cmd),
        Command::Copy(args) => repo_cmds::copy(args),
        Command::Snapshots(args) => repo_cmds::snapshots(args),
        Command::Forget(args) => repo_cmds::forget(args),
        Command::Prune(args) => repo_cmds::prune(args),
        Command::Check(args) => repo_cmds::check(args),
        Command::RebuildIndex { repo } => repo_cmds::rebuild_index(repo),
        Command::Unlock { repo, all } => repo_cmds::unlock(repo, all),
        Command::Backup(args) => backup_cmd::run(args),
        Command::Restore(args) => restore_cmd::run(args),
        Command::Show(args) => inspect_cmds::show(args),
        Command::Diff(args) => inspect_cmds::diff(args),
        Command::Verify(args) => inspect_cmds::verify(args),
        Command::Export(args) => inspect_cmds::export(args),
        Command::Ddl(args) => ddl_cmd::run(args),
        Command::Serve { config, check } => service_cmds::serve(config, check),
        Command::Demo { repo, orders } => service_cmds::demo(repo, orders),
        Command::Debug(cmd) => debug::run(cmd),
    }
}
