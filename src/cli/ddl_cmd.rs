//! `pgkeep ddl`: a live database's schema as SQL (through
//! `engine::schema_dump`), or the DDL archived in a snapshot. Turns the
//! arguments into options, prints the script and the warnings; reads no
//! catalog itself.

use std::io::Write;

use anyhow::{bail, Context, Result};

use super::args::DdlArgs;
use crate::ddl::Rendered;
use crate::engine::schema_dump::{schema_dump, SchemaDumpOptions};
use crate::repo::snapshot::Section;
use crate::repo::Repository;

fn parse_section(s: &str) -> Result<Section> {
    Ok(match s {
        "pre-data" => Section::PreData,
        "data" => Section::Data,
        "post-data" => Section::PostData,
        other => bail!("unknown section {other:?}: use pre-data, data or post-data"),
    })
}

pub fn run(args: DdlArgs) -> Result<i32> {
    let sections = args
        .section
        .iter()
        .map(|s| parse_section(s))
        .collect::<Result<Vec<_>>>()?;
    if let Some(spec) = &args.snapshot {
        return print_archived_ddl(&args, spec, &sections);
    }
    let conn = crate::pg::conn::ConnSpec::parse(&args.db)?.resolve(&crate::pg::conn::process_env)?;
    let opts = SchemaDumpOptions {
        scope: args.filter.scope(),
        jobs: args.jobs,
        sequence_values: !args.no_sequence_values,
        render: crate::ddl::RenderOptions {
            no_owner: args.no_owner,
            no_acl: args.no_acl,
            no_comments: args.no_comments,
            target_schema: args.target_schema.clone(),
        },
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let rendered = rt.block_on(schema_dump(&conn, &opts))?;
    for w in &rendered.warnings {
        eprintln!("pgkeep: warning: {w}");
    }
    print_script(&rendered, &sections)
}

/// `pgkeep ddl SNAPSHOT`: the archived DDL as one script, like
/// `pg_restore -f -`.
fn print_archived_ddl(args: &DdlArgs, spec: &str, sections: &[Section]) -> Result<i32> {
    let Some(repo) = &args.repo else {
        bail!("pgkeep ddl SNAPSHOT needs --repo (or PGKEEP_REPO)");
    };
    if args.target_schema.is_some() || !args.filter.exclude_schemas.is_empty() || !args.filter.exclude_tables.is_empty() {
        bail!("with a snapshot, pgkeep ddl takes -n, -t, --section, -O, -x and --no-comments only (use restore --target-schema to rename)");
    }
    let r = Repository::open_at(repo).with_context(|| format!("opening repository {repo}"))?;
    let id = r.resolve_snapshot(spec, None)?;
    let snap = r.load_snapshot(&id)?;
    let filter = crate::engine::restore::NameFilter::new(&args.filter.schemas, &args.filter.tables);
    let entries = snap
        .ddl
        .iter()
        .filter(|e| filter.entry(e))
        .map(|e| {
            let mut e = e.clone();
            e.create_sql = crate::sql::statements::strip(&e.create_sql, args.no_owner, args.no_acl);
            if args.no_comments {
                e.create_sql = crate::sql::statements::split(&e.create_sql)
                    .into_iter()
                    .filter(|s| !s.trim_start().starts_with("COMMENT ON "))
                    .collect();
            }
            e
        })
        .collect();
    let rendered = Rendered {
        entries,
        warnings: snap.warnings.clone(),
        search_path: snap.search_path.clone(),
        database: snap.source.database.clone(),
        server_version_num: snap.source.server_version_num as i32,
        rendered_rows: Default::default(),
    };
    print_script(&rendered, sections)
}

fn print_script(rendered: &Rendered, sections: &[Section]) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(rendered.script(sections).as_bytes())?;
    out.flush()?;
    Ok(0)
}
