/// Namespace URIs of the vocabularies feeds use, and the families they belong to.
enum Namespace {
    static let atom10 = "http://www.w3.org/2005/Atom"
    static let atom03 = "http://purl.org/atom/ns#"
    static let rss10 = "http://purl.org/rss/1.0/"
    static let rss090 = "http://my.netscape.com/rdf/simple/0.9/"
    static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    static let dc = "http://purl.org/dc/elements/1.1/"
    static let dcterms = "http://purl.org/dc/terms/"
    static let content = "http://purl.org/rss/1.0/modules/content/"
    static let xhtml = "http://www.w3.org/1999/xhtml"
    static let media = "http://search.yahoo.com/mrss/"
    static let syndication = "http://purl.org/rss/1.0/modules/syndication/"
    static let xml = "http://www.w3.org/XML/1998/namespace"
    static let itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd"

    /// The vocabulary an element belongs to, after folding the URIs that real feeds spell in
    /// several ways (trailing slash or `#`, `https`, upper case) onto one family.
    enum Family: UInt8 {
        case core        // RSS 0.9x/2.0 (no namespace), RSS 1.0, RSS 0.90, Userland
        case atom
        case dc, dcterms, content, xhtml, media, syndication, rdf, xml, itunes
        case other
    }

    static func family(of uri: String?) -> Family {
        guard let uri, !uri.isEmpty else { return .core }
        var key = uri.lowercased()
        if key.hasPrefix("https://") { key = "http://" + key.dropFirst(8) }
        while key.hasSuffix("/") || key.hasSuffix("#") { key.removeLast() }
        switch key {
        case "http://www.w3.org/2005/atom", "http://purl.org/atom/ns": return .atom
        case "http://purl.org/rss/1.0", "http://my.netscape.com/rdf/simple/0.9",
             "http://backend.userland.com/rss2", "http://backend.userland.com/rss",
             "http://blogs.law.harvard.edu/tech/rss":
            return .core
        case "http://purl.org/dc/elements/1.1": return .dc
        case "http://purl.org/dc/terms": return .dcterms
        case "http://purl.org/rss/1.0/modules/content": return .content
        case "http://www.w3.org/1999/xhtml": return .xhtml
        case "http://search.yahoo.com/mrss": return .media
        case "http://purl.org/rss/1.0/modules/syndication": return .syndication
        case "http://www.w3.org/1999/02/22-rdf-syntax-ns": return .rdf
        case "http://www.w3.org/xml/1998/namespace": return .xml
        case "http://www.itunes.com/dtds/podcast-1.0.dtd": return .itunes
        default: return .other
        }
    }
}

/// Families as bits: every field of every entry is looked up by name and families, and a
/// `Set` would hash for each child it passes.
struct Families: OptionSet {
    let rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    init(_ family: Namespace.Family) { rawValue = 1 << family.rawValue }

    func contains(_ family: Namespace.Family) -> Bool { rawValue & (1 << family.rawValue) != 0 }

    static let core = Families(.core)
    static let atom = Families(.atom)
    static let coreOrAtom: Families = [.core, .atom]
    static let dc = Families(.dc)
    static let dcterms = Families(.dcterms)
    static let content = Families(.content)
    static let xhtml = Families(.xhtml)
    static let media = Families(.media)
    static let syndication = Families(.syndication)
    static let itunes = Families(.itunes)
}
