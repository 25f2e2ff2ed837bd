import Foundation
import Feeds
import XML

/// What JSON-LD says about the page's article (schema.org `NewsArticle` and its relatives).
struct LinkedArticle {
    var headline: String?
    var body: String?
    var published: String?
    var language: String?
    var publisher: String?
    var url: String?

    static let articleTypes: Set<String> = [
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
        "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "socialmediaposting",
        "techarticle", "scholarlyarticle", "webpage", "report",
    ]

    /// The first article-like object in the page's JSON-LD blocks (inside `@graph` and arrays
    /// too). A block that is not JSON is skipped.
    static func find(in blocks: [String]) -> LinkedArticle? {
        var found: [(article: LinkedArticle, isPage: Bool)] = []
        for block in blocks {
            guard let data = block.data(using: .utf8),
                  let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { continue }
            for object in objects(in: json, depth: 0) {
                let types = typeNames(object["@type"])
                guard !types.isDisjoint(with: articleTypes) else { continue }
                var article = LinkedArticle()
                article.headline = string(object["headline"]) ?? string(object["name"])
                article.body = string(object["articleBody"]) ?? string(object["text"])
                article.published = string(object["datePublished"]) ?? string(object["dateCreated"])
                article.language = string(object["inLanguage"])
                article.publisher = (object["publisher"] as? [String: Any]).flatMap { string($0["name"]) } ?? string(object["publisher"])
                article.url = string(object["url"]) ?? (object["mainEntityOfPage"] as? [String: Any]).flatMap { string($0["@id"]) }
                found.append((article, types.isSubset(of: ["webpage"])))
            }
        }
        // An article with its body, then any article, then the page itself.
        return found.first { !$0.isPage && $0.article.body != nil }?.article
            ?? found.first { !$0.isPage }?.article ?? found.first?.article
    }

    private static func objects(in json: Any, depth: Int) -> [[String: Any]] {
        guard depth < 8 else { return [] }
        if let array = json as? [Any] { return array.flatMap { objects(in: $0, depth: depth + 1) } }
        guard let object = json as? [String: Any] else { return [] }
        var out = [object]
        if let graph = object["@graph"] { out += objects(in: graph, depth: depth + 1) }
        if let entity = object["mainEntity"] { out += objects(in: entity, depth: depth + 1) }
        return out
    }

    private static func typeNames(_ value: Any?) -> Set<String> {
        if let name = value as? String { return [name.lowercased()] }
        if let names = value as? [Any] { return Set(names.compactMap { ($0 as? String)?.lowercased() }) }
        return []
    }

    private static func string(_ value: Any?) -> String? {
        if let text = value as? String {
            let trimmed = text.trimmedWhitespace
            return trimmed.isEmpty ? nil : trimmed
        }
        if let array = value as? [Any] { return array.lazy.compactMap { string($0) }.first }
        return nil
    }
}

/// Title, date, language, canonical address and site name, from the most reliable source
/// present: JSON-LD, then Open Graph and other `<meta>` conventions, then the markup.
enum PageMetadata {
    static func title(_ head: PageHead, _ linked: LinkedArticle?, heading: String?) -> String? {
        let candidates = [linked?.headline, head.meta["og:title"], head.meta["twitter:title"], heading, head.title]
        return candidates.lazy.compactMap { $0.map(collapse) }.first { !$0.isEmpty }
    }

    static let dateKeys = [
        "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
        "date", "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date", "article.published",
        "cxenseparse:recs:publishtime", "article:modified_time",
    ]

    static func published(_ head: PageHead, _ linked: LinkedArticle?) -> Date? {
        let candidates = [linked?.published] + dateKeys.map { head.meta[$0] } + [head.firstTime]
        return candidates.lazy.compactMap { $0.flatMap(FeedDate.parse) }.first
    }

    static func language(_ head: PageHead, _ linked: LinkedArticle?) -> String? {
        let locale = head.meta["og:locale"]
        let candidates = [head.language, head.meta["content-language"], linked?.language, locale, head.meta["language"]]
        guard let value = candidates.lazy.compactMap({ $0?.trimmedWhitespace }).first(where: { !$0.isEmpty }) else { return nil }
        return value.replacingOccurrences(of: "_", with: "-").lowercased()
    }

    static func canonical(_ head: PageHead, _ linked: LinkedArticle?, url: String?) -> String? {
        for candidate in [head.canonical, head.meta["og:url"], linked?.url] {
            guard let candidate, !candidate.trimmedWhitespace.isEmpty else { continue }
            let resolved = URIResolver.resolve(candidate, against: url)
            if isWeb(resolved) { return resolved }
        }
        return url.flatMap { isWeb($0) ? $0 : nil }
    }

    private static func isWeb(_ address: String) -> Bool {
        address.lowercased().hasPrefix("http://") || address.lowercased().hasPrefix("https://")
    }

    static func site(_ head: PageHead, _ linked: LinkedArticle?, url: String?) -> String? {
        let candidates = [head.meta["og:site_name"], linked?.publisher, head.meta["application-name"], head.meta["twitter:site"]]
        if let name = candidates.lazy.compactMap({ $0.map(collapse) }).first(where: { !$0.isEmpty }) { return name }
        return url.flatMap { URL(string: $0)?.host }
    }

    static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
