//! Reading text search parsers, templates, dictionaries and configurations.
//!
//! It reads rows into the model and must not render statements (that is
//! `ddl::build`'s job).

use super::*;

impl Reader<'_> {
    pub async fn text_search(&self) -> R<Vec<TextSearchObject>> {
        let rp = |c: &str| format!("{c}::pg_catalog.regproc::text");
        let parsers = format!(
            "SELECT p.oid, n.nspname, p.prsname, NULL::text, NULL::text[], d.description, \
               {}, {}, {}, {}, NULLIF(p.prsheadline, 0)::pg_catalog.regproc::text \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_parser p ON p.prsnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace {}",
            rp("p.prsstart"),
            rp("p.prstoken"),
            rp("p.prsend"),
            rp("p.prslextype"),
            descr("d", "pg_ts_parser", "p.oid")
        );
        let templates = format!(
            "SELECT t.oid, n.nspname, t.tmplname, NULL::text, NULL::text[], d.description, \
               NULLIF(t.tmplinit, 0)::pg_catalog.regproc::text, {} \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_template t ON t.tmplnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace {}",
            rp("t.tmpllexize"),
            descr("d", "pg_ts_template", "t.oid")
        );
        let dicts = format!(
            "SELECT t.oid, n.nspname, t.dictname, pg_catalog.pg_get_userbyid(t.dictowner), NULL::text[], d.description, \
               {}, t.dictinitoption \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_dict t ON t.dictnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.dictnamespace \
             JOIN pg_catalog.pg_ts_template tt ON tt.oid = t.dicttemplate \
             JOIN pg_catalog.pg_namespace tn ON tn.oid = tt.tmplnamespace {}",
            qname("pg_catalog.pg_ts_template_is_visible(tt.oid)", "tn.nspname", "tt.tmplname"),
            descr("d", "pg_ts_dict", "t.oid")
        );
        let configs = format!(
            "SELECT c.oid, n.nspname, c.cfgname, pg_catalog.pg_get_userbyid(c.cfgowner), NULL::text[], d.description, \
               {}, \
               ARRAY(SELECT tt.alias || '=' || pg_catalog.array_to_string(ARRAY( \
                   SELECT m2.mapdict::pg_catalog.regdictionary::text FROM pg_catalog.pg_ts_config_map m2 \
                   WHERE m2.mapcfg = c.oid AND m2.maptokentype = m.maptokentype ORDER BY m2.mapseqno), ',') \
                 FROM (SELECT DISTINCT maptokentype FROM pg_catalog.pg_ts_config_map WHERE mapcfg = c.oid) m \
                 JOIN pg_catalog.ts_token_type(c.cfgparser) tt ON tt.tokid = m.maptokentype \
                 ORDER BY m.maptokentype) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid) JOIN pg_catalog.pg_ts_config c ON c.cfgnamespace = s.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
             JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser \
             JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace {}",
            qname("pg_catalog.pg_ts_parser_is_visible(p.oid)", "pn.nspname", "p.prsname"),
            descr("d", "pg_ts_config", "c.oid")
        );
        let mut out = Vec::new();
        for r in self.q("text search parsers", &parsers, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Parser {
                    start: r.get(6),
                    gettoken: r.get(7),
                    end: r.get(8),
                    lextypes: r.get(9),
                    headline: r.get(10),
                },
            });
        }
        for r in self.q("text search templates", &templates, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Template { init: r.get(6), lexize: r.get(7) },
            });
        }
        for r in self.q("text search dictionaries", &dicts, &[&self.schemas]).await? {
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Dictionary { template: r.get(6), options: r.get(7) },
            });
        }
        for r in self.q("text search configurations", &configs, &[&self.schemas]).await? {
            // Token aliases are plain words, dictionary names are regdictionary
            // output (already quoted): split on the first '='.
            let maps: Vec<String> = r.get(7);
            let mappings = maps
                .into_iter()
                .filter_map(|m| {
                    let (alias, dicts) = m.split_once('=')?;
                    Some((alias.to_string(), split_name_list(dicts)))
                })
                .collect();
            out.push(TextSearchObject {
                meta: meta(&r),
                kind: TextSearch::Configuration { parser: r.get(6), mappings },
            });
        }
        Ok(out)
    }
}

/// Splits `a,"b,c",d` (already-quoted names) on the commas between names.
fn split_name_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in s.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_quoted_name_lists() {
        assert_eq!(
            super::split_name_list(r#"simple,"a,b",x."y""z""#),
            vec!["simple", "\"a,b\"", "x.\"y\"\"z\""]
        );
    }
}
