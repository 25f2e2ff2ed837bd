/// Finds the article body in a page's tree, in the manner of Mozilla's Readability: running
/// prose (blocks with text, commas and few links) scores its ancestors; the best-scoring
/// container, with those of its siblings that score close to it, is the article; inside it,
/// blocks that look like boilerplate (mostly links, share and promotion boxes, forms) are
/// removed. When that leaves too little (`enoughText`), it is tried again with fewer removals,
/// as Readability does, and the longest result wins.
enum BodyExtractor {
    /// What a pass is allowed to remove.
    struct Pass: Equatable {
        var stripUnlikely = true
        var weighClasses = true
        var cleanConditionally = true
    }

    static let passes = [
        Pass(),
        Pass(stripUnlikely: false),
        Pass(stripUnlikely: false, weighClasses: false),
        Pass(stripUnlikely: false, weighClasses: false, cleanConditionally: false),
    ]
    /// A result at least this long (characters) is taken without trying further passes.
    /// Readability takes 500 and otherwise the longest result; a short article then loses to
    /// its own comment thread, found once the comments are no longer stripped.
    static let enoughText = 250

    /// The body text, paragraphs separated by blank lines. `build` makes a fresh tree for
    /// each pass (passes remove nodes).
    static func extract(build: () -> PageNode, title: String?) -> String {
        var best = ""
        for pass in passes {
            let text = extract(from: build(), pass: pass, title: title)
            if text.count >= enoughText { return text }
            if text.count > best.count { best = text }
        }
        return best
    }

    static func extract(from root: PageNode, pass: Pass, title: String?) -> String {
        let body = root.first("body") ?? root
        removeBoilerplateElements(body, stripUnlikely: pass.stripUnlikely)
        for node in body.descendants() where node.tag == "div" || node.tag == "section" || node.tag == "article" {
            if node.children.contains(where: { blockTags.contains($0.tag) }) {
                node.wrapInlineRuns { blockTags.contains($0.tag) }
            }
        }
        body.measure()
        let candidates = score(body, pass: pass)
        guard var top = candidates.max(by: { $0.score < $1.score }) else {
            return TextRenderer.render([body], title: title)
        }
        top = climb(from: top, candidates: candidates, body: body)
        var chosen = withSiblings(top)
        if pass.cleanConditionally {
            // Siblings are judged as a whole too (a teaser box beside the article is one).
            chosen = chosen.filter { $0 === top || !isBoilerplate($0, weighClasses: pass.weighClasses) }
            for node in chosen { clean(node, weighClasses: pass.weighClasses) }
        }
        return TextRenderer.render(chosen, title: title)
    }

    // MARK: - Removal before scoring

    // Not `form`: ASP.NET pages wrap the whole page in one.
    static let boilerplateTags: Set<String> = ["nav", "aside", "footer", "header", "menu"]
    static let boilerplateRoles: Set<String> = [
        "navigation", "complementary", "banner", "contentinfo", "menu", "menubar", "alert", "dialog", "search", "alertdialog",
    ]

    private static func removeBoilerplateElements(_ body: PageNode, stripUnlikely: Bool) {
        let all = body.descendants()
        // `itemprop="articleBody"` and every ancestor of it: never removed as unlikely.
        var holdingArticleBody = Set<ObjectIdentifier>()
        for node in all where node.itemprop == "articlebody" {
            var current: PageNode? = node
            while let step = current, holdingArticleBody.insert(ObjectIdentifier(step)).inserted { current = step.parent }
        }
        for node in all where node.parent != nil {
            if boilerplateTags.contains(node.tag) {
                // A page that wraps its whole article in one `<header>` keeps it.
                node.measure()
                if node.paragraphs < 3 { node.detach() }
            } else if let role = node.role, boilerplateRoles.contains(role) {
                node.detach()
            } else if stripUnlikely, node.isUnlikely, !node.isLikely,
                      !["body", "a", "article", "main"].contains(node.tag), !holdingArticleBody.contains(ObjectIdentifier(node)) {
                node.detach()
            }
        }
    }

    // MARK: - Scoring

    static let scoredTags: Set<String> = ["p", "pre", "td", "section", "h2", "h3", "h4", "h5", "h6", "blockquote"]
    static let blockTags: Set<String> = [
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "ul", "tr", "td", "th", "tbody", "thead",
    ]

    /// Scores every block of prose into its ancestors; returns the scored ancestors.
    private static func score(_ body: PageNode, pass: Pass) -> [PageNode] {
        var candidates: [PageNode] = []
        for node in body.descendants() {
            let isParagraph = scoredTags.contains(node.tag)
                || (node.tag == "div" && !node.children.contains { blockTags.contains($0.tag) })
            guard isParagraph, node.textLength >= 25 else { continue }
            let points = 1 + Double(node.commas) + Double(min(node.textLength / 100, 3))
            var ancestor = node.parent
            var level = 0
            while let current = ancestor, level < 5 {
                if !current.isCandidate {
                    current.isCandidate = true
                    current.score = baseScore(current) + (pass.weighClasses ? current.classWeight : 0)
                    candidates.append(current)
                }
                let divider = level == 0 ? 1.0 : (level == 1 ? 2.0 : Double(level * 3))
                current.score += points / divider
                if current === body { break }
                ancestor = current.parent
                level += 1
            }
        }
        for candidate in candidates { candidate.score *= 1 - candidate.linkDensity }
        return candidates
    }

    private static func baseScore(_ node: PageNode) -> Double {
        switch node.tag {
        case "div", "article", "main": return 5
        case "pre", "td", "blockquote", "section": return 3
        case "address", "ol", "ul", "dl", "dd", "dt", "li", "form": return -3
        case "h1", "h2", "h3", "h4", "h5", "h6", "th": return -5
        default: return 0
        }
    }

    /// Moves from the best candidate to the container that holds it with its peers: when
    /// several near-best candidates share an ancestor, or when the score keeps rising.
    private static func climb(from start: PageNode, candidates: [PageNode], body: PageNode) -> PageNode {
        var top = start
        let peers = candidates.filter { $0 !== top && $0.score >= top.score * 0.75 }
            .sorted { $0.score > $1.score }.prefix(5)
        if peers.count >= 3 {
            var ancestor = top.parent
            while let current = ancestor, current !== body {
                let holding = peers.filter { isAncestor(current, of: $0) }.count
                if holding >= 3 {
                    top = current
                    break
                }
                ancestor = current.parent
            }
        }
        var lastScore = top.score
        var ancestor = top.parent
        while let current = ancestor, current !== body {
            guard current.isCandidate else { ancestor = current.parent; continue }
            if current.score < lastScore / 3 { break }
            if current.score > lastScore {
                top = current
                break
            }
            lastScore = current.score
            ancestor = current.parent
        }
        while let parent = top.parent, parent !== body, parent.children.filter({ !$0.isText || $0.textLength > 0 }).count == 1 {
            top = parent
        }
        return top
    }

    private static func isAncestor(_ ancestor: PageNode, of node: PageNode) -> Bool {
        var current = node.parent
        while let step = current {
            if step === ancestor { return true }
            current = step.parent
        }
        return false
    }

    /// The top candidate and the siblings that belong with it.
    private static func withSiblings(_ top: PageNode) -> [PageNode] {
        guard let parent = top.parent else { return [top] }
        let threshold = max(10, top.score * 0.2)
        var chosen: [PageNode] = []
        for sibling in parent.children {
            if sibling === top { chosen.append(sibling); continue }
            guard !sibling.isText else { continue }
            let bonus = !top.hints.isEmpty && sibling.hints == top.hints ? top.score * 0.2 : 0
            if sibling.isCandidate && sibling.score + bonus >= threshold {
                chosen.append(sibling)
            } else if sibling.tag == "p" {
                let density = sibling.linkDensity
                if sibling.textLength > 80 && density < 0.25 {
                    chosen.append(sibling)
                } else if sibling.textLength > 0 && density == 0 && TextRenderer.endsSentence(sibling) {
                    chosen.append(sibling)
                }
            }
        }
        return chosen
    }

    // MARK: - Cleaning inside the article

    static let conditionalTags: Set<String> = ["form", "fieldset", "table", "ul", "ol", "div", "section", "aside", "figure", "dl", "header", "footer", "nav"]

    /// Removes blocks inside the article that are not part of it: boilerplate by class, link
    /// lists, forms, image galleries with a line of text.
    private static func clean(_ article: PageNode, weighClasses: Bool) {
        // Children before parents: a block judged after its junk is gone is judged fairly.
        for node in article.descendants().reversed() where node.parent != nil {
            if node.tag == "figcaption" {
                node.detach()
                continue
            }
            if node.tag == "p" {
                // A paragraph that is one link is a pointer to another story.
                node.measure()
                if node.textLength > 0 && node.linkDensity > 0.8 { node.detach() }
                continue
            }
            if node.tag == "h1" || node.tag == "h2" || node.tag == "h3" {
                node.measure()
                if (weighClasses && node.classWeight < 0) || node.linkDensity > 0.33 { node.detach() }
                continue
            }
            guard conditionalTags.contains(node.tag) else { continue }
            if isBoilerplate(node, weighClasses: weighClasses) { node.detach() }
        }
    }

    /// Readability's conditional test: a block is boilerplate when its class says so, or when
    /// it is mostly links, images, list items or form fields rather than prose.
    private static func isBoilerplate(_ node: PageNode, weighClasses: Bool) -> Bool {
        node.measure()
        let weight = weighClasses ? node.classWeight : 0
        if weight < 0 { return true }
        if node.commas >= 10 { return false }
        let elements = node.descendants()
        let paragraphs = elements.filter { $0.tag == "p" }.count
        let images = elements.filter { $0.tag == "img" }.count
        // Readability allows a block 100 list items beyond its paragraphs before it counts as
        // a list of links rather than prose. (Form fields are not in the tree at all.)
        let items = elements.filter { $0.tag == "li" }.count - 100
        let isList = node.tag == "ul" || node.tag == "ol"
        let density = node.linkDensity
        // Headlines that are links, two or more: a list of other stories.
        let linkedHeadings = elements.filter { element in
            headingTags.contains(element.tag) && (element.linkLength > element.textLength / 2)
        }.count
        return linkedHeadings >= 2
            || (images > 1 && Double(paragraphs) / Double(images) < 0.5 && node.textLength < 200)
            || (!isList && items > paragraphs)
            || (!isList && node.textLength < 25 && (images == 0 || images > 2) && !hasHeading(elements))
            || (weight < 25 && density > 0.2)
            || (weight >= 25 && density > 0.5)
    }

    static let headingTags: Set<String> = ["h1", "h2", "h3", "h4", "h5", "h6"]

    private static func hasHeading(_ elements: [PageNode]) -> Bool {
        elements.contains { headingTags.contains($0.tag) && $0.tag != "h1" }
    }
}

/// Readability's reading of `class` and `id`: words that mark boilerplate, words that mark
/// content, and the words that save a block from removal.
enum ClassHints {
    static let unlikely = [
        "-ad-", "ad-break", "advert", "agegate", "banner", "breadcrumb", "combx", "comment", "community", "consent",
        "cookie", "cover-wrap", "disqus", "extra", "footer", "gdpr", "header", "legends", "menu", "newsletter",
        "related", "remark", "replies", "rss", "share", "shoutbox", "sidebar", "skyscraper", "social", "sponsor",
        "subscribe", "supplemental", "pagination", "pager", "popup", "promo", "recirc", "most-popular", "trending",
        "paywall", "signup", "sign-up", "outbrain", "taboola",
    ]
    static let likely = ["and", "article", "body", "column", "content", "main", "shadow", "story", "text"]
    static let positive = [
        "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog", "story",
    ]
    static let negative = [
        "-ad-", "hidden", "banner", "combx", "comment", "com-", "contact", "foot", "footer", "footnote", "gdpr",
        "masthead", "media", "meta", "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar",
        "skyscraper", "sponsor", "shopping", "tags", "tool", "widget", "newsletter", "subscribe", "social", "byline",
        "author", "caption", "credit", "recirc", "read-more", "readmore", "more-stories", "taboola",
    ]

    /// What the hints say, in one pass over them.
    struct Reading {
        var isUnlikely = false
        var isLikely = false
        var weight = 0.0
    }

    static func read(_ hints: String) -> Reading {
        guard !hints.isEmpty else { return Reading() }
        let found = index.lists(occurringIn: hints)
        var reading = Reading(isUnlikely: found.contains(.unlikely), isLikely: found.contains(.likely))
        if found.contains(.negative) { reading.weight -= 25 }
        if found.contains(.positive) { reading.weight += 25 }
        return reading
    }

    /// Which of the four lists a word is on.
    struct Lists: OptionSet {
        let rawValue: UInt8
        static let unlikely = Lists(rawValue: 1), likely = Lists(rawValue: 2)
        static let positive = Lists(rawValue: 4), negative = Lists(rawValue: 8)
    }

    private static let index = WordIndex([(unlikely, .unlikely), (likely, .likely), (positive, .positive), (negative, .negative)])

    /// The words of every list by their first byte, so that each position of the hints is
    /// compared with the few words that can start there, all lists in one pass
    /// (`String.contains` went through Foundation and was a quarter of extraction).
    struct WordIndex: Sendable {
        private var byFirst = [[(word: [UInt8], lists: UInt8)]](repeating: [], count: 256)

        init(_ lists: [([String], Lists)]) {
            for (words, list) in lists {
                for word in words {
                    let bytes = Array(word.utf8)
                    if let existing = byFirst[Int(bytes[0])].firstIndex(where: { $0.word == bytes }) {
                        byFirst[Int(bytes[0])][existing].lists |= list.rawValue
                    } else {
                        byFirst[Int(bytes[0])].append((bytes, list.rawValue))
                    }
                }
            }
        }

        func lists(occurringIn hints: String) -> Lists {
            var hints = hints
            return hints.withUTF8 { haystack in
                var found: UInt8 = 0
                for start in 0..<haystack.count {
                    for (word, lists) in byFirst[Int(haystack[start])] where lists & ~found != 0 && start + word.count <= haystack.count {
                        var k = 1
                        while k < word.count && haystack[start + k] == word[k] { k += 1 }
                        if k == word.count { found |= lists }
                    }
                }
                return Lists(rawValue: found)
            }
        }
    }
}
