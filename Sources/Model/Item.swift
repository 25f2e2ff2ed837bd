import Foundation

/// A news item as the classifier sees it: from a feed entry, a JSONL line or a text file.
public struct Item: Sendable, Equatable {
    /// A stable identifier (feed item key, or the `id` of a JSONL record).
    public var id: String
    public var title: String
    /// Plain text of the body (summary or content, HTML removed).
    public var text: String
    public var link: String?
    public var published: Date?
    /// Where it came from (feed name), for the reader of an alert.
    public var source: String?
    /// Set when `text` is the article behind the link rather than what the feed gave: its
    /// first paragraph, which alerts and digests show as the item's summary.
    public var articleLede: String?

    public init(id: String, title: String, text: String, link: String? = nil, published: Date? = nil, source: String? = nil) {
        self.id = id
        self.title = title
        self.text = text
        self.link = link
        self.published = published
        self.source = source
    }
}
