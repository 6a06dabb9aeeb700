//! Answers as Telegram shows them: the model's Markdown turned into the small HTML subset the Bot
//! API accepts with `parse_mode=HTML` (`<b>`, `<i>`, `<code>`, `<pre>`, `<a href>`), everything
//! else escaped, so no text from a model can inject markup; and long answers split into messages
//! of at most [`MAX_MESSAGE_CHARS`], at a paragraph, line or word boundary where there is one.

/// The most characters of one Telegram message (after entity parsing).
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// Escapes the three characters Telegram's HTML mode requires escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The Markdown of an answer as Telegram HTML: fenced code blocks → `<pre>`, inline code →
/// `<code>`, `**bold**` / `__bold__` → `<b>`, `*italic*` / `_italic_` → `<i>`, `[text](http…)`
/// → a link (other schemes stay text). Unclosed markers stay as they are; all text is escaped.
pub fn to_html(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 16);
    let mut in_fence = false;
    let mut fence = String::new();
    for line in markdown.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            if in_fence {
                out.push_str("<pre>");
                out.push_str(&escape(fence.trim_end_matches('\n')));
                out.push_str("</pre>\n");
                fence.clear();
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            fence.push_str(line);
        } else {
            out.push_str(&inline(line));
        }
    }
    if in_fence {
        // An unclosed fence (a cut answer): what there is, as code.
        out.push_str("<pre>");
        out.push_str(&escape(fence.trim_end_matches('\n')));
        out.push_str("</pre>");
    }
    out
}

/// One line's inline Markdown.
fn inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest[0] == '`'
            && let Some(end) = find(rest, 1, &['`'])
        {
            out.push_str("<code>");
            out.push_str(&escape(&collect(&rest[1..end])));
            out.push_str("</code>");
            i += end + 1;
            continue;
        }
        // `_` marks emphasis only at a word's start: `snake_case_names` stay as they are.
        let word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if let Some(marker) =
            [['*', '*'], ['_', '_']].iter().find(|m| rest.starts_with(&m[..]) && (m[0] == '*' || word_start))
            && let Some(end) = find(rest, 2, &marker[..]).filter(|&end| end > 2)
        {
            out.push_str("<b>");
            out.push_str(&inline(&collect(&rest[2..end])));
            out.push_str("</b>");
            i += end + 2;
            continue;
        }
        if (rest[0] == '*' || (rest[0] == '_' && word_start))
            && rest.get(1).is_some_and(|c| !c.is_whitespace())
            && let Some(end) = find(rest, 1, &[rest[0]]).filter(|&end| end > 1)
        {
            out.push_str("<i>");
            out.push_str(&inline(&collect(&rest[1..end])));
            out.push_str("</i>");
            i += end + 1;
            continue;
        }
        if rest[0] == '['
            && let Some(close) = find(rest, 1, &[']', '('])
            && let Some(end) = find(rest, close + 2, &[')'])
        {
            let (text, url) = (collect(&rest[1..close]), collect(&rest[close + 2..end]));
            if url.starts_with("https://") || url.starts_with("http://") {
                out.push_str(&format!("<a href=\"{}\">{}</a>", escape(&url), escape(&text)));
                i += end + 1;
                continue;
            }
        }
        out.push_str(&escape(&rest[0].to_string()));
        i += 1;
    }
    out
}

fn collect(chars: &[char]) -> String {
    chars.iter().collect()
}

/// Where `pattern` next starts in `chars`, from `from` on.
fn find(chars: &[char], from: usize, pattern: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(pattern.len() - 1)).find(|&i| chars[i..].starts_with(pattern))
}

/// `text` in pieces of at most `max` characters, cut at the last paragraph break, else line
/// break, else space in the piece's second half; a piece with none is cut at `max`.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: &str = text;
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let half = window.char_indices().nth(max / 2).map_or(0, |(i, _)| i);
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&at| at >= half).map(|at| at + sep.len()))
            .unwrap_or(limit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start_matches('\n');
    }
    if !rest.trim().is_empty() || pieces.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_the_html_telegram_takes() {
        assert_eq!(to_html("**Total**: 3 < 4 & *fine*"), "<b>Total</b>: 3 &lt; 4 &amp; <i>fine</i>");
        assert_eq!(to_html("Run `ls -l <dir>` now"), "Run <code>ls -l &lt;dir&gt;</code> now");
        assert_eq!(to_html("```rust\nfn a() -> u8 { 1 }\n```\nDone"), "<pre>fn a() -&gt; u8 { 1 }</pre>\nDone");
        assert_eq!(
            to_html("See [the docs](https://example.com/a?b=1&c=2)."),
            "See <a href=\"https://example.com/a?b=1&amp;c=2\">the docs</a>."
        );
        assert_eq!(to_html("__bold _and italic_ too__"), "<b>bold <i>and italic</i> too</b>");
    }

    #[test]
    fn nothing_a_model_writes_becomes_markup() {
        assert_eq!(to_html("<b onclick=x>hi</b>"), "&lt;b onclick=x&gt;hi&lt;/b&gt;");
        assert_eq!(to_html("[click](javascript:alert(1))"), "[click](javascript:alert(1))");
        assert_eq!(
            to_html("[x](https://a\" onmouseover=\"b)"),
            "<a href=\"https://a&quot; onmouseover=&quot;b\">x</a>"
        );
        assert_eq!(to_html("2 * 3 * 4 and snake_case_name"), "2 * 3 * 4 and snake_case_name");
        assert_eq!(to_html("**unclosed and `open"), "**unclosed and `open");
        assert_eq!(to_html("```\n<script>\n"), "<pre>&lt;script&gt;</pre>");
    }

    #[test]
    fn long_answers_split_at_boundaries_within_the_limit() {
        let para = "word ".repeat(300);
        let text = format!("{}\n\n{}", para.trim(), para.trim());
        let pieces = split(&text, MAX_MESSAGE_CHARS);
        assert_eq!(pieces.len(), 1, "{} chars fit", text.chars().count());
        let pieces = split(&text, 1_000);
        assert!(pieces.iter().all(|p| p.chars().count() <= 1_000 && !p.is_empty()));
        assert_eq!(pieces.concat().replace([' ', '\n'], ""), text.replace([' ', '\n'], ""), "nothing lost");
        assert!(pieces[0].ends_with("word"), "cut at a space: {:?}", &pieces[0][pieces[0].len() - 10..]);
        let unbroken = "é".repeat(10_000);
        let pieces = split(&unbroken, MAX_MESSAGE_CHARS);
        assert_eq!(pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [4096, 4096, 1808]);
        assert_eq!(split("", 10), [""]);
    }
}
