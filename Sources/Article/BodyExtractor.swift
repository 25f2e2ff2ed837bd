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

    /// The body text, paragraphs separated by blank lines. Each pass works on its own copy of
    /// `tree` (passes remove nodes).
    static func extract(_ tree: PageTree, title: String?) -> String {
        var best = ""
        for pass in passes {
            var copy = tree
            let text = extract(from: &copy, pass: pass, title: title)
            if text.count >= enoughText { return text }
            if text.count > best.count { best = text }
        }
        return best
    }

    static func extract(from tree: inout PageTree, pass: Pass, title: String?) -> String {
        let body = tree.first(.body) ?? PageTree.document
        removeBoilerplateElements(&tree, body, stripUnlikely: pass.stripUnlikely)
        for node in tree.descendants(body) where tree.flags(node).contains(.container) {
            if tree.hasChild(node, where: { tree.flags($0).contains(.block) }) {
                tree.wrapInlineRuns(node)
            }
        }
        tree.measure(body)
        tree.prepareScoring()
        let candidates = score(&tree, body, pass: pass)
        guard var top = candidates.max(by: { tree.score[$0] < tree.score[$1] }) else {
            return TextRenderer.render([body], of: tree, title: title)
        }
        top = climb(tree, from: top, candidates: candidates, body: body)
        var chosen = withSiblings(tree, top)
        if pass.cleanConditionally {
            // Siblings are judged as a whole too (a teaser box beside the article is one).
            chosen = chosen.filter { $0 == top || !isBoilerplate(&tree, $0, weighClasses: pass.weighClasses) }
            for node in chosen { clean(&tree, node, weighClasses: pass.weighClasses) }
        }
        return TextRenderer.render(chosen, of: tree, title: title)
    }

    // MARK: - Removal before scoring

    // Not `form`: ASP.NET pages wrap the whole page in one.
    static let boilerplateTags: Set<String> = ["nav", "aside", "footer", "header", "menu"]
    static let boilerplateRoles: Set<String> = [
        "navigation", "complementary", "banner", "contentinfo", "menu", "menubar", "alert", "dialog", "search", "alertdialog",
    ]

    private static func removeBoilerplateElements(_ tree: inout PageTree, _ body: Int, stripUnlikely: Bool) {
        let all = tree.descendants(body)
        // `itemprop="articleBody"` and every ancestor of it: never removed as unlikely.
        var holdingArticleBody = [Bool](repeating: false, count: tree.count)
        for node in all where tree.isArticleBody(node) {
            var current = node
            while current != PageTree.none, !holdingArticleBody[current] {
                holdingArticleBody[current] = true
                current = tree.parent(current)
            }
        }
        for node in all where tree.parent(node) != PageTree.none {
            let flags = tree.flags(node)
            if flags.contains(.boilerplate) {
                // A page that wraps its whole article in one `<header>` keeps it.
                tree.measure(node)
                if tree.paragraphs(node) < 3 { tree.detach(node) }
            } else if tree.hasBoilerplateRole(node) {
                tree.detach(node)
            } else if stripUnlikely, tree.reading[node].isUnlikely, !tree.reading[node].isLikely,
                      !flags.contains(.keepsUnlikely), !holdingArticleBody[node] {
                tree.detach(node)
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
    private static func score(_ tree: inout PageTree, _ body: Int, pass: Pass) -> [Int] {
        var candidates: [Int] = []
        for node in tree.descendants(body) {
            let flags = tree.flags(node)
            let isParagraph = flags.contains(.scored)
                || (flags.contains(.div) && !tree.hasChild(node, where: { tree.flags($0).contains(.block) }))
            guard isParagraph, tree.textLength(node) >= 25 else { continue }
            let points = 1 + Double(tree.commas(node)) + Double(min(tree.textLength(node) / 100, 3))
            var ancestor = tree.parent(node)
            var level = 0
            while ancestor != PageTree.none, level < 5 {
                let current = ancestor
                if !tree.isCandidate[current] {
                    tree.isCandidate[current] = true
                    tree.score[current] = baseScore(tree.name(current)) + (pass.weighClasses ? tree.reading[current].weight : 0)
                    candidates.append(current)
                }
                let divider = level == 0 ? 1.0 : (level == 1 ? 2.0 : Double(level * 3))
                tree.score[current] += points / divider
                if current == body { break }
                ancestor = tree.parent(current)
                level += 1
            }
        }
        for candidate in candidates { tree.score[candidate] *= 1 - tree.linkDensity(candidate) }
        return candidates
    }

    private static func baseScore(_ tag: String) -> Double {
        switch tag {
        case "div", "article", "main": return 5
        case "pre", "td", "blockquote", "section": return 3
        case "address", "ol", "ul", "dl", "dd", "dt", "li", "form": return -3
        case "h1", "h2", "h3", "h4", "h5", "h6", "th": return -5
        default: return 0
        }
    }

    /// Moves from the best candidate to the container that holds it with its peers: when
    /// several near-best candidates share an ancestor, or when the score keeps rising.
    private static func climb(_ tree: PageTree, from start: Int, candidates: [Int], body: Int) -> Int {
        var top = start
        let peers = candidates.filter { $0 != top && tree.score[$0] >= tree.score[top] * 0.75 }
            .sorted { tree.score[$0] > tree.score[$1] }.prefix(5)
        if peers.count >= 3 {
            var ancestor = tree.parent(top)
            while ancestor != PageTree.none, ancestor != body {
                let current = ancestor
                let holding = peers.filter { isAncestor(tree, current, of: $0) }.count
                if holding >= 3 {
                    top = current
                    break
                }
                ancestor = tree.parent(current)
            }
        }
        var lastScore = tree.score[top]
        var ancestor = tree.parent(top)
        while ancestor != PageTree.none, ancestor != body {
            let current = ancestor
            guard tree.isCandidate[current] else { ancestor = tree.parent(current); continue }
            if tree.score[current] < lastScore / 3 { break }
            if tree.score[current] > lastScore {
                top = current
                break
            }
            lastScore = tree.score[current]
            ancestor = tree.parent(current)
        }
        while case let parent = tree.parent(top), parent != PageTree.none, parent != body,
              tree.children(parent).filter({ !tree.isText($0) || tree.textLength($0) > 0 }).count == 1 {
            top = parent
        }
        return top
    }

    private static func isAncestor(_ tree: PageTree, _ ancestor: Int, of node: Int) -> Bool {
        var current = tree.parent(node)
        while current != PageTree.none {
            if current == ancestor { return true }
            current = tree.parent(current)
        }
        return false
    }

    /// The top candidate and the siblings that belong with it.
    private static func withSiblings(_ tree: PageTree, _ top: Int) -> [Int] {
        let parent = tree.parent(top)
        guard parent != PageTree.none else { return [top] }
        let threshold = max(10, tree.score[top] * 0.2)
        var chosen: [Int] = []
        for sibling in tree.children(parent) {
            if sibling == top { chosen.append(sibling); continue }
            guard !tree.isText(sibling) else { continue }
            let bonus = tree.hasHints(top) && tree.sameHints(sibling, top) ? tree.score[top] * 0.2 : 0
            if tree.isCandidate[sibling] && tree.score[sibling] + bonus >= threshold {
                chosen.append(sibling)
            } else if tree.flags(sibling).contains(.paragraph) {
                let density = tree.linkDensity(sibling)
                if tree.textLength(sibling) > 80 && density < 0.25 {
                    chosen.append(sibling)
                } else if tree.textLength(sibling) > 0 && density == 0 && TextRenderer.endsSentence(sibling, of: tree) {
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
    private static func clean(_ tree: inout PageTree, _ article: Int, weighClasses: Bool) {
        // Children before parents: a block judged after its junk is gone is judged fairly.
        for node in tree.descendants(article).reversed() where tree.parent(node) != PageTree.none {
            let flags = tree.flags(node)
            if flags.contains(.caption) {
                tree.detach(node)
                continue
            }
            if flags.contains(.paragraph) {
                // A paragraph that is one link is a pointer to another story.
                tree.measure(node)
                if tree.textLength(node) > 0 && tree.linkDensity(node) > 0.8 { tree.detach(node) }
                continue
            }
            if flags.contains(.majorHeading) {
                tree.measure(node)
                if (weighClasses && tree.reading[node].weight < 0) || tree.linkDensity(node) > 0.33 { tree.detach(node) }
                continue
            }
            guard flags.contains(.conditional) else { continue }
            if isBoilerplate(&tree, node, weighClasses: weighClasses) { tree.detach(node) }
        }
    }

    /// Readability's conditional test: a block is boilerplate when its class says so, or when
    /// it is mostly links, images, list items or form fields rather than prose.
    private static func isBoilerplate(_ tree: inout PageTree, _ node: Int, weighClasses: Bool) -> Bool {
        tree.measure(node)
        let weight = weighClasses ? tree.reading[node].weight : 0
        if weight < 0 { return true }
        if tree.commas(node) >= 10 { return false }
        var paragraphs = 0, images = 0, items = -100, linkedHeadings = 0, hasHeading = false
        for element in tree.descendants(node) {
            let flags = tree.flags(element)
            if flags.contains(.paragraph) { paragraphs += 1 }
            if flags.contains(.image) { images += 1 }
            // Readability allows a block 100 list items beyond its paragraphs before it counts
            // as a list of links rather than prose. (Form fields are not in the tree at all.)
            if flags.contains(.listItem) { items += 1 }
            if flags.contains(.heading) {
                // Headlines that are links, two or more: a list of other stories.
                if tree.linkLength(element) > tree.textLength(element) / 2 { linkedHeadings += 1 }
                if !flags.contains(.h1) { hasHeading = true }
            }
        }
        let isList = tree.flags(node).contains(.list)
        let density = tree.linkDensity(node)
        return linkedHeadings >= 2
            || (images > 1 && Double(paragraphs) / Double(images) < 0.5 && tree.textLength(node) < 200)
            || (!isList && items > paragraphs)
            || (!isList && tree.textLength(node) < 25 && (images == 0 || images > 2) && !hasHeading)
            || (weight < 25 && density > 0.2)
            || (weight >= 25 && density > 0.5)
    }

    static let headingTags: Set<String> = ["h1", "h2", "h3", "h4", "h5", "h6"]
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

    static func read(_ hints: UnsafeBufferPointer<UInt8>) -> Reading {
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

        func lists(occurringIn haystack: UnsafeBufferPointer<UInt8>) -> Lists {
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
