//! `serve` and `demo`: the two verbs that hand the process to a long-running
//! front end (the service, the demo's script). They build the runtime and
//! print the last line; what runs is `service` and `demo`'s.

use std::path::PathBuf;

use anyhow::Result;

pub fn serve(config: PathBuf, check: bool) -> Result<i32> {
    let cfg = crate::service::config::Config::load(&config)?;
    if check {
        cfg.admin_token()?;
        println!(
            "{}: ok ({} sources, {} schedules, {} webhooks)",
            config.display(), cfg.sources.len(), cfg.schedules.len(), cfg.alerts.webhooks.len()
        );
        return Ok(0);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(crate::service::serve(cfg))?;
    Ok(0)
}

pub fn demo(repo: Option<PathBuf>, orders: u64) -> Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut say = |line: String| println!("{line}");
    let report = rt.block_on(crate::demo::run(
        crate::demo::DemoOptions {
            repo,
            orders_per_tenant: orders,
        },
        &mut say,
    ))?;
    println!(
        "demo finished: {} snapshots written, all checks passed",
        report.snapshots.len()
    );
    Ok(0)
}
