//! What `--check` prints: the findings grouped by the step of the flow they concern, each
//! with its rule, reference and fix; for people on stderr, or as one JSON report on stdout
//! for a server author's CI (`--format json`, schema in the README and `--help`).

use mcp_oauth::document::{Document, Finding, Severity};
use serde_json::{Value, json};

/// Bumped on any change a reader of the JSON report would misread.
pub const REPORT_VERSION: u32 = 1;

/// How `--check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Grouped by step on stderr, and the pipeline document on stdout.
    #[default]
    Human,
    /// One JSON report on stdout instead of the document; nothing on stderr.
    Json,
}

pub fn has_errors(doc: &Document) -> bool {
    doc.findings.iter().any(|f| f.severity == Severity::Error)
}

/// In flow order, errors first within a step; findings of older documents (no step) last.
fn ordered(doc: &Document) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = doc.findings.iter().collect();
    sorted.sort_by_key(|f| (f.step.is_none(), f.step, std::cmp::Reverse(f.severity)));
    sorted
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn counts(doc: &Document) -> (usize, usize) {
    let errors = doc.findings.iter().filter(|f| f.severity == Severity::Error).count();
    (errors, doc.findings.len() - errors)
}

/// For a person: a heading per step, each finding on one line with its reference and rule
/// id, the fix indented under it, and a last line that counts.
pub fn human(doc: &Document) -> String {
    let mut out = String::new();
    let mut heading = None;
    for f in ordered(doc) {
        let title = f.step.map_or("discovery", |s| s.title());
        if heading != Some(title) {
            out += &format!("{title}:\n");
            heading = Some(title);
        }
        let id = if f.rule.is_empty() { String::new() } else { format!(" ({})", f.rule) };
        out += &format!("  {}: {} [{}]{id}\n", level(f.severity), f.message, f.reference);
        if let Some(fix) = &f.fix {
            out += &format!("    fix: {fix}\n");
        }
    }
    out += &match counts(doc) {
        (0, 0) => format!("mcp-discover: check: {} follows the specs as far as discovery can tell\n", doc.server_url),
        (errors, warnings) => {
            format!("mcp-discover: check: {errors} error(s), {warnings} warning(s) for {}\n", doc.server_url)
        }
    };
    out
}

/// For CI: the stable report the README documents.
pub fn json(doc: &Document) -> Value {
    let (errors, warnings) = counts(doc);
    let findings: Vec<Value> = ordered(doc)
        .into_iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "severity": level(f.severity),
                "step": f.step,
                "message": f.message,
                "reference": f.reference,
                "fix": f.fix,
            })
        })
        .collect();
    json!({
        "mcp_oauth_check": REPORT_VERSION,
        "server_url": doc.server_url,
        "errors": errors,
        "warnings": warnings,
        "findings": findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth::discovery::rules::{self, Step};

    fn doc() -> Document {
        let url = mcp_oauth::url_policy::parse("t", "https://mcp.example.com/mcp").expect("a URL");
        let mut doc = Document::new(&url, url.to_string(), None);
        doc.add_finding(rules::ISS_PARAMETER.finding(Step::Probe, "no iss"));
        doc.add_finding(rules::NO_RESOURCE_METADATA_PARAM.finding(Step::Probe, "no resource_metadata"));
        doc.add_finding(rules::ISSUER_MISMATCH.finding(Step::Probe, "issuer mismatch"));
        doc.add_finding(rules::STOPPED.finding(Step::AuthorizationServerMetadata, "HTTP 503"));
        doc
    }

    #[test]
    fn the_report_groups_by_step_with_errors_first_and_counts() {
        let url = mcp_oauth::url_policy::parse("t", "https://mcp.example.com/mcp").expect("a URL");
        assert!(human(&Document::new(&url, url.to_string(), None)).contains("follows the specs"));
        let doc = doc();
        let report = human(&doc);
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(
            lines,
            [
                "probe (initialize without a token):",
                "  warning: no resource_metadata [RFC 9728 §5.1] (probe.no-resource-metadata)",
                &format!("    fix: {}", rules::NO_RESOURCE_METADATA_PARAM.fix.unwrap()),
                "authorization-server metadata:",
                "  error: issuer mismatch [RFC 8414 §3.3, MCP 2026-07-28 (SEP-2468)] (authorization_server_metadata.issuer-mismatch)",
                &format!("    fix: {}", rules::ISSUER_MISMATCH.fix.unwrap()),
                "  error: HTTP 503 [discovery stopped here] (discovery.stopped)",
                "authorization request:",
                "  warning: no iss [RFC 9207 §3, MCP 2026-07-28 authorization response] (authorization.iss-parameter)",
                &format!("    fix: {}", rules::ISS_PARAMETER.fix.unwrap()),
                "mcp-discover: check: 2 error(s), 2 warning(s) for https://mcp.example.com/mcp",
            ]
        );
        assert!(has_errors(&doc));
    }

    #[test]
    fn the_json_report_has_every_member_in_the_same_order() {
        let report = json(&doc());
        assert_eq!(report["mcp_oauth_check"], 1);
        assert_eq!((report["errors"].as_u64(), report["warnings"].as_u64()), (Some(2), Some(2)));
        let findings = report["findings"].as_array().expect("findings");
        let ids: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap_or("")).collect();
        assert_eq!(
            ids,
            [
                "probe.no-resource-metadata",
                "authorization_server_metadata.issuer-mismatch",
                "discovery.stopped",
                "authorization.iss-parameter"
            ]
        );
        assert_eq!(findings[2]["step"], "authorization_server_metadata");
        assert_eq!(findings[2]["fix"], Value::Null);
        assert_eq!(findings[1]["severity"], "error");
        for f in findings {
            let keys: Vec<&String> = f.as_object().expect("an object").keys().collect();
            assert_eq!(keys.len(), 6, "{f}");
        }
    }
}
