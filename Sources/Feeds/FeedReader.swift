import Foundation
import XML

/// Maps the element trees of RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 0.3 and Atom 1.0 onto
/// `FeedInfo` and `FeedEntry`. Where a field can come from several elements, the first one
/// present in the order below wins, as in feedparser.
struct FeedReader {
    let format: Format

    enum Format {
        case rss, rdf, atom
    }

    // MARK: - Version

    static func version(ofRoot root: Element) -> (Format, String) {
        let versionAttribute = root.attribute("version")?.trimmingCharacters(in: .whitespaces)
        switch (root.name, root.family) {
        case ("feed", .atom) where root.namespaceURI != nil:
            if root.namespaceURI == Namespace.atom10 { return (.atom, "atom10") }
            switch versionAttribute {
            case "0.1": return (.atom, "atom01")
            case "0.2": return (.atom, "atom02")
            case "0.3": return (.atom, "atom03")
            default: return (.atom, root.namespaceURI == Namespace.atom03 ? "atom03" : "atom")
            }
        case ("RDF", _):
            return (.rdf, root.children.contains(where: {
                if case .element(let e) = $0 { return e.namespaceURI == Namespace.rss090 } else { return false }
            }) || root.namespaceURI == Namespace.rss090 ? "rss090" : "rss10")
        case ("rss", _):
            switch versionAttribute {
            case "0.91": return (.rss, "rss091u")
            case "0.92": return (.rss, "rss092")
            case "0.93": return (.rss, "rss093")
            case "0.94": return (.rss, "rss094")
            case "2.0", "2", "2.0.1", "2.01": return (.rss, "rss20")
            default: return (.rss, "rss")
            }
        case ("channel", _):
            return (.rss, "rss")
        case ("feed", _):
            switch versionAttribute {
            case "0.3": return (.atom, "atom03")
            default: return (.atom, "atom")
            }
        default:
            return (.rss, "")
        }
    }

    // MARK: - Feed

    func feedInfo(root: Element, contentLanguage: String?) -> FeedInfo {
        let channel: Element
        switch format {
        case .atom: channel = root
        case .rss, .rdf: channel = root.isNamed(.channel) ? root : (root.child(.channel, .core) ?? root)
        }
        var info = FeedInfo()
        info.title = firstText(channel, [(.title, .coreOrAtom), (.title, .dc)])
        info.link = link(of: channel)
        info.subtitle = firstText(channel, [
            (.description, .core), (.subtitle, .atom), (.tagline, .atom), (.description, .dc),
            (.subtitle, [.itunes]),
        ])
        info.language = firstText(channel, [(.language, .core), (.language, .dc)])
            ?? channel.language ?? root.language ?? contentLanguage
        info.language = info.language.map { $0.replacingOccurrences(of: "_", with: "-") }
        info.updated = firstDate(channel, [
            (.lastBuildDate, .core), (.updated, .atom), (.modified, .atom), (.date, .dc), (.modified, .dcterms),
        ])
        info.published = firstDate(channel, [(.pubDate, .core), (.published, .atom), (.issued, .dcterms)])
        if let ttl = channel.child(.ttl, .core)?.textContent.trimmedWhitespace {
            info.ttlMinutes = Int(ttl)
        }
        if let period = channel.child(.updatePeriod, [.syndication])?.textContent {
            let seconds: Int? = switch period.trimmedWhitespace.lowercased() {
            case "hourly": 3600
            case "daily": 86400
            case "weekly": 7 * 86400
            case "monthly": 30 * 86400
            case "yearly": 365 * 86400
            default: nil
            }
            let frequency = channel.child(.updateFrequency, [.syndication])
                .flatMap { Int($0.textContent.trimmedWhitespace) } ?? 1
            if let seconds, frequency > 0 { info.updateIntervalSeconds = seconds / frequency }
        }
        return info
    }

    // MARK: - Entry

    func entry(_ item: Element) -> FeedEntry {
        var entry = FeedEntry()
        entry.title = firstText(item, [(.title, .coreOrAtom), (.title, .dc)]) ?? mediaValue(item, .title)?.value
        entry.id = firstRaw(item, [(.guid, .core)]) ?? item.child(.id, .atom).flatMap { id in
            // Atom ids are IRIs; a relative one is resolved like any other reference.
            nonEmpty(id.textContent).map { URIResolver.isAbsolute($0) ? $0 : URIResolver.resolve($0, against: id.base) }
        } ?? item.attribute("about", family: .rdf)
        entry.link = link(of: item)
        if entry.link == nil, let guid = item.child(.guid, .core),
           guid.attribute("isPermaLink")?.lowercased() != "false",
           let value = entry.id, value.hasPrefix("http://") || value.hasPrefix("https://") {
            entry.link = URIResolver.resolve(value, against: guid.base)
        }

        // RSS items sometimes carry both <description> and <summary>: the first is the
        // summary, the second the fuller text. Each is read once (an RSS description is most
        // of an entry's text).
        var descriptions = item.elementChildren.lazy.filter {
            $0.family == .core && ($0.isNamed(.description) || $0.isNamed(.summary))
        }.makeIterator()
        let (firstDescription, secondDescription) = (descriptions.next(), descriptions.next())
        var summary = firstDescription.map { TextConstruct.read($0, htmlByDefault: true) }
            ?? firstValue(item, [(.summary, .atom), (.description, .dc)], htmlByDefault: true)
        var content = firstValue(item, [
            (.encoded, [.content]), (.body, [.xhtml]), (.body, .core), (.fullitem, .core),
            (.content, .atom),
        ], htmlByDefault: true)
        if content == nil, let secondDescription { content = TextConstruct.read(secondDescription, htmlByDefault: true) }
        if summary == nil {
            summary = mediaValue(item, .description)
        }
        entry.summarySource = (summary ?? content)?.deferred
        entry.contentSource = content?.deferred

        entry.published = firstDate(item, [
            (.pubDate, .core), (.published, .atom), (.issued, .atom), (.issued, .dcterms), (.created, .dcterms),
            (.created, .atom),
        ])
        entry.updated = firstDate(item, [(.updated, .atom), (.modified, .atom), (.date, .dc), (.modified, .dcterms)])
        entry.author = author(of: item)
        entry.enclosures = enclosures(of: item)
        for element in item.elementChildren {
            let category: String? = switch element.family {
            case .core where element.isNamed(.category), .dc where element.isNamed(.subject):
                nonEmpty(element.textContent)
            case .atom where element.isNamed(.category):
                element.attribute("term").flatMap(nonEmpty) ?? nonEmpty(element.textContent)
            default:
                nil
            }
            guard let category else { continue }
            // Room for a few at once: grown from empty, the list was made three times an item.
            if entry.categories.isEmpty { entry.categories.reserveCapacity(4) }
            entry.categories.append(category)
        }

        let body = content ?? summary
        if let body {
            entry.text = body.plainText
        }
        entry.key = ItemKey.make(id: entry.id, link: entry.link, title: entry.title, date: entry.published ?? entry.updated)
        return entry
    }

    // MARK: - Pieces

    private func firstElement(_ parent: Element, _ candidates: [(FieldName, Families)]) -> Element? {
        for (name, families) in candidates {
            if let element = parent.child(name, families) { return element }
        }
        return nil
    }

    private func firstValue(_ parent: Element, _ candidates: [(FieldName, Families)], htmlByDefault: Bool = false) -> TextValue? {
        guard let element = firstElement(parent, candidates) else { return nil }
        let isRSSText = element.family != .atom
        return TextConstruct.read(element, htmlByDefault: htmlByDefault && isRSSText)
    }

    private func firstText(_ parent: Element, _ candidates: [(FieldName, Families)]) -> String? {
        firstValue(parent, candidates).map(\.value)
    }

    private func firstRaw(_ parent: Element, _ candidates: [(FieldName, Families)]) -> String? {
        firstElement(parent, candidates).map { $0.textContent.trimmedWhitespace }
    }

    private func firstDate(_ parent: Element, _ candidates: [(FieldName, Families)]) -> Date? {
        for (name, families) in candidates {
            if let element = parent.child(name, families), let date = element.withText(FeedDate.parse) {
                return date
            }
        }
        return nil
    }

    /// RSS `<link>` text, or the Atom link with `rel="alternate"` (the default) pointing at
    /// an HTML page; `rel="self"` and friends are never the item's link.
    private func link(of parent: Element) -> String? {
        if format != .atom, let link = parent.child(.link, .core), let text = nonEmpty(link.textContent) {
            return URIResolver.resolve(text, against: link.base)
        }
        var fallback: String?
        for link in parent.elementChildren where link.family == .atom && link.isNamed(.link) {
            // `rel` and `type` compared on their bytes (a link's rel="alternate" type="text/html").
            guard link.attribute("rel", lowercasedIs: "alternate") ?? true,
                  let href = link.attribute("href"), !href.trimmedWhitespace.isEmpty
            else { continue }
            let resolved = URIResolver.resolve(href, against: link.base)
            if link.attribute("type", lowercasedIs: "text/html") ?? true || link.attribute("type", lowercasedIs: "application/xhtml+xml") == true {
                return resolved
            }
            if fallback == nil { fallback = resolved }
        }
        if format == .atom, fallback == nil, let link = parent.child(.link, .core), let text = nonEmpty(link.textContent) {
            return URIResolver.resolve(text, against: link.base)
        }
        return fallback
    }

    /// A Media RSS field, on the item or inside its `media:group` / `media:content`.
    private func mediaValue(_ item: Element, _ name: FieldName) -> TextValue? {
        let media: Families = [.media]
        if let element = item.child(name, media) { return TextConstruct.read(element) }
        for container in item.elementChildren where container.family == .media {
            if let element = container.child(name, media) { return TextConstruct.read(element) }
        }
        return nil
    }

    private func author(of item: Element) -> String? {
        if let author = item.child(.author, .atom), author.hasElementChildren {
            let name = author.child(.name, .atom).flatMap { nonEmpty($0.textContent) }
            let email = author.child(.email, .atom).flatMap { nonEmpty($0.textContent) }
            switch (name, email) {
            case let (name?, email?): return "\(name) (\(email))"
            case let (name?, nil): return name
            case let (nil, email?): return email
            default: return nil
            }
        }
        return firstRaw(item, [(.author, .coreOrAtom), (.creator, .dc), (.author, .dc), (.author, [.itunes])]).flatMap(nonEmpty)
    }

    private func enclosures(of item: Element) -> [String] {
        var urls: [String] = []
        for element in item.elementChildren {
            if element.isNamed(.enclosure), element.family == .core, let url = element.attribute("url") {
                urls.append(URIResolver.resolve(url, against: element.base))
            } else if element.isNamed(.link), element.family == .atom,
                      element.attribute("rel")?.lowercased() == "enclosure", let href = element.attribute("href") {
                urls.append(URIResolver.resolve(href, against: element.base))
            }
        }
        return urls
    }

    private func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmedWhitespace
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// How an item is recognised again on the next fetch, so that it is never "new" twice.
///
/// The rule, in order: the feed's own identifier (RSS `guid`, Atom `id`, RSS 1.0
/// `rdf:about`) when present; else the item's link; else its title with its date. Content
/// is never part of the key: a publisher who corrects a typo must not cause a second alert.
/// The key is unique within one feed; the store qualifies it with the feed.
public enum ItemKey {
    public static func make(id: String?, link: String?, title: String?, date: Date?) -> String {
        if let id = id?.trimmedWhitespace, !id.isEmpty { return "id:" + id }
        if let link = link?.trimmedWhitespace, !link.isEmpty { return "link:" + link }
        let title = title?.trimmedWhitespace ?? ""
        return "title:" + title + "|" + (date.map(FeedDate.format) ?? "")
    }
}
