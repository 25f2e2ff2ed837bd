import Foundation
import Feeds

/// The article of one web page.
public struct Article: Sendable, Equatable, Codable {
    public var title: String?
    /// The body text, paragraphs separated by a blank line.
    public var text: String
    public var published: Date?
    /// The page's language as it declares it (`en`, `ru`, `zh-cn`…), lower case.
    public var language: String?
    /// The page's canonical address (`<link rel="canonical">`, `og:url`), else its own.
    public var canonical: String?
    /// The site's name (`og:site_name`, the publisher), else the host.
    public var site: String?
    /// The character encoding the page was read in.
    public var encoding: String

    /// The first paragraph: what an alert or a digest shows.
    public var lede: String? { Self.lede(of: text) }

    /// The first paragraph of an article's text.
    public static func lede(of text: String) -> String? {
        text.components(separatedBy: "\n\n").first { !$0.isEmpty }
    }
}

/// Extracts the article from a page's bytes. Pure: no network, no files.
public enum ArticleExtractor {
    /// - Parameters:
    ///   - url: where the page came from: the base for its relative links and the fallback
    ///     canonical address.
    ///   - contentType: the HTTP `Content-Type`, whose charset outranks the page's own.
    public static func extract(_ bytes: [UInt8], url: String? = nil, contentType: String? = nil) -> Article {
        let (utf8, encoding) = PageDecoding.decode(bytes, contentType: contentType)
        let (tree, head) = PageTree.build(utf8: utf8)
        let linked = LinkedArticle.find(in: head.jsonLD)
        let heading = tree.first(.h1).map { TextRenderer.render([$0], of: tree, title: nil) }
        let title = PageMetadata.title(head, linked, heading: heading)
        let text = BodyExtractor.extract(tree, title: title)
        return Article(
            title: title,
            text: chooseBody(extracted: text, linked: linked?.body),
            published: PageMetadata.published(head, linked),
            language: PageMetadata.language(head, linked),
            canonical: PageMetadata.canonical(head, linked, url: url),
            site: PageMetadata.site(head, linked, url: url),
            encoding: encoding)
    }

    /// JSON-LD's `articleBody` is the publisher's own statement of the text; it is taken
    /// when it is about as long as what the page shows or longer (a teaser on a paywalled
    /// page is shorter, and is not).
    static func chooseBody(extracted: String, linked: String?) -> String {
        guard let linked, !linked.isEmpty else { return extracted }
        let text = HTMLTextOfJSONLD.plain(linked)
        return text.count >= extracted.count * 9 / 10 ? text : extracted
    }
}

/// `articleBody` as text. Publishers put plain text there (paragraphs on their own lines),
/// HTML, or HTML escaped once more (`&lt;p&gt;`): markup is read as HTML, twice if need be.
enum HTMLTextOfJSONLD {
    static func plain(_ body: String) -> String {
        var text = body
        for _ in 0..<2 where text.contains("<") || text.contains("&lt;") || text.contains("&amp;") {
            let (tree, _) = PageTree.build(utf8: Array(text.utf8))
            text = TextRenderer.render([PageTree.document], of: tree, title: nil)
        }
        return text
    }
}

extension Article {
    /// `{"title", "text", "published", "language", "canonical", "site", "encoding"}`.
    public var json: JSONValue {
        .object([
            ("title", .optional(title)),
            ("text", .string(text)),
            ("published", .optional(published)),
            ("language", .optional(language)),
            ("canonical", .optional(canonical)),
            ("site", .optional(site)),
            ("encoding", .string(encoding)),
        ])
    }
}
