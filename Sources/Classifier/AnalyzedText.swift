import Locking

/// An item's title and body, analysed once and indexed for rule matching and similarity.
public struct AnalyzedText: Sendable {
    /// Title tokens first, then body tokens; a token's index in this array is its identity.
    public let tokens: [Token]
    /// How many of `tokens` belong to the title.
    public let titleCount: Int
    /// The language of title and body together, from their letters' scripts (`Language.detect`).
    public let language: Language?
    /// For Chinese, whether it was written in traditional characters (folded to simplified
    /// in `tokens`); nil for other languages.
    public let script: HanScript?

    /// Body positions start this far after the title's, so no phrase or NEAR spans both.
    static let bodyOffset = 100_000

    public init(title: String, body: String, analyzer: Analyzer) {
        var counts = ScriptCounts()
        // Room for the title's tokens and the body's at once, a token for five bytes as the
        // analyzer reckons: with the title's alone, the array was made again for the body, its
        // title tokens copied (1% of reading an item).
        var tokens: [Token] = []
        tokens.reserveCapacity((title.utf8.count + body.utf8.count) / 5 + 8)
        analyzer.analyze(title, startPosition: 0, counts: &counts, isDocument: true, appendingTo: &tokens)
        titleCount = tokens.count
        analyzer.analyze(body, startPosition: Self.bodyOffset, counts: &counts, isDocument: true, appendingTo: &tokens)
        language = Language.detect(counts)
        script = language == .zh ? HanScript.detect(counts) : nil
        self.tokens = tokens
    }

    func isTitle(_ index: Int) -> Bool { index < titleCount }

    /// Fewer body words than a sentence or two: a headline with a source name at most, as
    /// news-search feeds deliver items. (Chinese counts in bigrams, about one per character.)
    public var isHeadlineOnly: Bool { tokens.count - titleCount < Self.headlineOnlyBodyTokens }
    static let headlineOnlyBodyTokens = 12

    func inField(_ index: Int, _ field: Query.Field?) -> Bool {
        switch field {
        case nil: return true
        case .title?: return index < titleCount
        case .text?: return index >= titleCount
        }
    }
}

/// A stretch of matched tokens (indices into `AnalyzedText.tokens`, inclusive).
struct Span: Hashable {
    var first: Int
    var last: Int
}

/// Queries compiled into one table of shared nodes. Rules repeat the same groups of words
/// ("china OR chinese OR …" appears in a dozen rules); identical sub-queries become one node,
/// evaluated once per item.
///
/// Queries are added while the classifier is built, on one thread; from then on the program
/// is only read, so evaluators on several threads may share it.
final class QueryProgram {
    enum Node: Hashable {
        case term(Int32, Query.Field?)
        case prefix([UInt8], Query.Field?)
        case phrase([Int], Query.Field?)
        case and([Int])
        case or([Int])
        case not(Int)
        case near(Int, Int, Int)
    }

    // The tables below are read for every item and written only while queries are added,
    // before any reading: checked for exclusivity statically only (`@exclusivity(unchecked)`).
    // The run-time check sees overlapping accesses within one thread, and nothing here is
    // touched re-entrantly; between threads, the order above (built, then only read) is what
    // keeps them apart.
    @exclusivity(unchecked) private(set) var nodes: [Node] = []
    /// Each node's id, so that an identical sub-query is one node. Keyed by the node itself:
    /// `add` recurses once per level of a query (a 999-link NEAR chain is 999 deep), and keys
    /// built by string interpolation made each level's stack frame several times larger.
    private var ids: [Node: Int] = [:]
    /// The term nodes of each term id: an item's words find the nodes they match by their
    /// ids, with no hashing, rather than every term node of every rule looking itself up in
    /// the item.
    @exclusivity(unchecked) private(set) var termNodes = ListsByKey<Int32>()
    let analyzer: Analyzer
    /// The prefix nodes by their bytes: a word finds those it starts with by walking its own
    /// bytes.
    @exclusivity(unchecked) private(set) var prefixes = PrefixTrie()
    /// The same answers by the word's surface id, each word walked once: an item's words are
    /// nearly all words read before, and the walk (with a copy of the word's string) was a
    /// twentieth of classifying an item.
    let prefixesBySurface = SurfacePrefixes()

    init(analyzer: Analyzer) {
        self.analyzer = analyzer
    }

    /// Adds a query; returns the id of its root node.
    func add(_ query: Query) -> Int {
        let id = addNode(query)
        if prefixes.needsLayout { prefixes.layOut() }
        return id
    }

    private func addNode(_ query: Query) -> Int {
        switch query {
        case .term(let term, let field):
            return intern(.term(analyzer.termID(term), field))
        case .prefix(let prefix, let field):
            let count = nodes.count
            let id = intern(.prefix(Array(prefix.utf8), field))
            if id == count {
                prefixes.insert(Array(prefix.utf8), node: id)
                prefixesBySurface.forgetAll()
            }
            return id
        case .phrase(let parts, let field):
            let children = parts.map(addNode)
            return intern(.phrase(children, field))
        case .and(let parts):
            let children = parts.map(addNode)
            return intern(.and(children))
        case .or(let parts):
            let children = parts.map(addNode)
            return intern(.or(children))
        case .not(let inner):
            let child = addNode(inner)
            return intern(.not(child))
        case .near(let a, let b, let distance):
            let left = addNode(a), right = addNode(b)
            return intern(.near(left, right, distance))
        }
    }

    /// A term every match of node `id` contains (a term, or a phrase's first word), so a text
    /// without it can be skipped without evaluating; nil when there is none to name.
    func anchorTerm(_ id: Int) -> Int32? {
        switch nodes[id] {
        case .term(let term, _): term
        case .phrase(let parts, _): parts.first.flatMap(anchorTerm)
        default: nil
        }
    }

    private func intern(_ node: Node) -> Int {
        if let id = ids[node] { return id }
        let id = nodes.count
        nodes.append(node)
        ids[node] = id
        if case .term(let term, _) = node { termNodes.append(Int32(id), to: Int(term)) }
        let (need, parts) = Self.children(of: node)
        // Once per occurrence: an AND of one child twice counts it twice.
        for child in parts { parents.append(Int32(id), to: child) }
        switch need {
        case .hit, .any: childrenNeeded.append(1)
        case .all: childrenNeeded.append(Int32(parts.count))
        case .none: childrenNeeded.append(0)
        }
        if need == .none || (need == .all && parts.isEmpty) { alwaysPossible.append(Int32(id)) }
        return id
    }

    /// What a node needs of its children to match.
    enum Need {
        /// A term or prefix: a token of the text.
        case hit
        /// Every child (AND, a phrase, NEAR).
        case all
        /// Any child.
        case any
        /// Nothing: a NOT matches when its child does not.
        case none
    }

    private static func children(of node: Node) -> (Need, [Int]) {
        switch node {
        case .term, .prefix: (.hit, [])
        case .phrase(let list, _), .and(let list): (.all, list)
        case .near(let a, let b, _): (.all, [a, b])
        case .or(let list): (.any, list)
        case .not(let child): (.none, [child])
        }
    }

    /// The nodes each node is a child of (once per occurrence).
    @exclusivity(unchecked) private(set) var parents = ListsByKey<Int32>()
    /// How many of a node's children must be possible before it is: all of an AND's,
    /// phrase's or NEAR's (an edge per occurrence), one of an OR's; a term or prefix node
    /// needs a token instead.
    @exclusivity(unchecked) private(set) var childrenNeeded: [Int32] = []
    /// Nodes that may match whatever the text: a NOT, an empty AND.
    @exclusivity(unchecked) private(set) var alwaysPossible: [Int32] = []

    /// Node tables left clean by evaluators that finished, for the next ones.
    private let spareTables = Locked<[NodeTables]>([])

    /// Clean tables for an evaluation of this program: a spare one, or new.
    func borrowTables() -> NodeTables {
        if let spare = spareTables.withLock({ $0.popLast() }), spare.count == nodes.count { return spare }
        return NodeTables(childrenNeeded: childrenNeeded)
    }

    /// Takes back tables an evaluator is done with, cleaned.
    func giveBack(_ tables: NodeTables) {
        guard tables.count == nodes.count else { return }
        tables.clean(childrenNeeded: childrenNeeded)
        spareTables.withLock { $0.append(tables) }
    }
}

/// An evaluation's tables with an entry per node of its program, kept between evaluations
/// rather than made for each: a program has some two thousand nodes, and allocating, filling
/// and freeing four such tables for every item was 4% of classifying it. A text touches
/// a few dozen entries; those are noted and put back (`clean`).
///
/// `@unchecked Sendable`: a table set is used by one evaluator at a time. The program hands
/// it out from its spares under a lock and takes it back under the lock; an evaluator
/// (a struct, never copied while it evaluates) is its only user in between.
final class NodeTables: @unchecked Sendable {
    let count: Int
    /// Per node, where its result is in the evaluator's results (-1: not evaluated yet).
    let slots: UnsafeMutablePointer<Int32>
    /// Per node, its place among the term and prefix nodes the text hits (-1: none).
    let hitSlots: UnsafeMutablePointer<Int32>
    /// Per node, whether the text holds the words it needs.
    let possible: UnsafeMutablePointer<Bool>
    /// Per node, how many more children must turn out possible before it is.
    let remaining: UnsafeMutablePointer<Int32>
    /// The entries changed, to put back: nodes evaluated, hit, found possible, counted down.
    /// Their exclusivity is checked statically only (`@exclusivity(unchecked)`): the tables
    /// have one user at a time (above), and the run-time checks were 1.5% of classifying.
    @exclusivity(unchecked) var evaluated: [Int32] = []
    @exclusivity(unchecked) var hit: [Int32] = []
    /// The nodes found possible (the first `madePossibleCount`) and counted down (the first
    /// `countedDownCount`): lists of a node's room each, as a node is found possible once and
    /// first counted down once. Written through pointers: appended to as arrays, with a
    /// uniqueness check each time, they were half of finding the possible nodes (69M -> 30M
    /// instructions per 10k items).
    let madePossible: UnsafeMutablePointer<Int32>
    var madePossibleCount = 0
    let countedDown: UnsafeMutablePointer<Int32>
    var countedDownCount = 0

    init(childrenNeeded: [Int32]) {
        count = childrenNeeded.count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: -1, count: count)
        hitSlots = .allocate(capacity: count)
        hitSlots.initialize(repeating: -1, count: count)
        possible = .allocate(capacity: count)
        possible.initialize(repeating: false, count: count)
        remaining = .allocate(capacity: count)
        madePossible = .allocate(capacity: count)
        countedDown = .allocate(capacity: count)
        childrenNeeded.withUnsafeBufferPointer { remaining.initialize(from: $0.baseAddress!, count: count) }
    }

    deinit {
        slots.deallocate()
        hitSlots.deallocate()
        possible.deallocate()
        remaining.deallocate()
        madePossible.deallocate()
        countedDown.deallocate()
    }

    /// Puts back every entry an evaluation changed.
    func clean(childrenNeeded: [Int32]) {
        for node in evaluated { slots[Int(node)] = -1 }
        for node in hit { hitSlots[Int(node)] = -1 }
        for node in UnsafeBufferPointer(start: madePossible, count: madePossibleCount) { possible[Int(node)] = false }
        for node in UnsafeBufferPointer(start: countedDown, count: countedDownCount) {
            remaining[Int(node)] = childrenNeeded[Int(node)]
        }
        evaluated.removeAll(keepingCapacity: true)
        hit.removeAll(keepingCapacity: true)
        madePossibleCount = 0
        countedDownCount = 0
    }
}

/// Evaluates a program's nodes against one text, each node at most once, within a work
/// budget per rule.
///
/// Its node tables are the program's (`NodeTables`): `finish` hands them back for the next
/// evaluator. An evaluator dropped without `finish` frees them instead. Not to be copied: a
/// copy would share the tables.
struct QueryEvaluator {
    typealias Result = (matched: Bool, spans: [Span])

    /// The work one rule may do on one item, counted in spans handled and position
    /// comparisons. A count, not a clock, so a verdict is the same on every machine. Rules of
    /// real use spend a few thousand on a long article; 200 chained NEARs over a hostile
    /// 20,000-word item asked for billions (87 s).
    static let ruleBudget = 2_000_000

    let program: QueryProgram
    let text: AnalyzedText
    let budget: Int
    /// The program's nodes, held here: read through the class for every node, each access
    /// was an exclusivity check and a retain.
    private let nodes: [QueryProgram.Node]
    /// Per node: where its result is in `results` (`slots`, -1: not evaluated yet); its place
    /// among the term and prefix nodes hit (`hitSlots`, -1: no token matches it, the case of
    /// most nodes for any item), the indices of hit `k` being
    /// `hitIndices[hitStarts[k]..<hitStarts[k + 1]]`; and whether the text holds the words it
    /// needs (`possible`, see `possibleNodes`). Most of a rule's words are missing from any
    /// one text: a node without them is answered from this, not evaluated. Flat tables
    /// rather than one `[Result?]`: thousands of nodes, most never evaluated for an item, and
    /// an array of optionals holding arrays is created and destroyed element by element
    /// through generic value witnesses (half of all classification time, measured).
    private let tables: NodeTables
    private var results: [Result] = []
    private let hitStarts: [Int]
    private let hitIndices: [Int]
    private var spent = 0
    /// The current rule ran out of budget: what is evaluated from then on is incomplete.
    private(set) var exhausted = false

    init(program: QueryProgram, text: AnalyzedText, budget: Int = Self.ruleBudget) {
        self.program = program
        self.text = text
        self.budget = budget
        nodes = program.nodes
        tables = program.borrowTables()
        // Term nodes in one pass over the tokens, prefix nodes in another: a node is one or
        // the other, so each node's hits still come in token order.
        var hits = Hits(slots: tables.hitSlots, tokenCount: text.tokens.count)
        let termNodes = program.termNodes
        for index in text.tokens.indices {
            termNodes.forEach(of: Int(text.tokens[index].termID)) { hits.add(node: Int($0), token: index) }
        }
        if !program.prefixes.isEmpty {
            program.prefixesBySurface.forEachMatch(in: text.tokens, trie: program.prefixes) { hits.add(node: $1, token: $0) }
        }
        // Grouped by node, each node's indices in token order.
        var starts: [Int] = []
        starts.reserveCapacity(hits.counts.count + 1)
        starts.append(0)
        for count in hits.counts { starts.append(starts[starts.count - 1] + count) }
        var next = starts
        var indices = [Int](repeating: 0, count: hits.list.count)
        for hit in hits.list {
            indices[next[Int(hit.slot)]] = hit.index
            next[Int(hit.slot)] += 1
        }
        hitStarts = starts
        hitIndices = indices
        tables.hit = hits.nodes
        Self.findPossibleNodes(program, from: hits.nodes, in: tables)
    }

    /// Hands the node tables back to the program, cleaned, for the next evaluator; this one
    /// must not evaluate again.
    func finish() {
        program.giveBack(tables)
    }

    /// The term and prefix nodes a text's tokens hit, as they are found.
    private struct Hits {
        /// Per node, its place in `nodes` (-1: not hit).
        let slots: UnsafeMutablePointer<Int32>
        /// The nodes hit, in the order first hit, and how many tokens hit each.
        var nodes: [Int32] = []
        var counts: [Int] = []
        /// Every hit: the node's slot and the token's index.
        var list: [(slot: Int32, index: Int)] = []

        init(slots: UnsafeMutablePointer<Int32>, tokenCount: Int) {
            self.slots = slots
            // Room from the start: grown by appending from empty, these arrays were
            // reallocated and copied a dozen times an item (3% of classifying one).
            nodes.reserveCapacity(64)
            counts.reserveCapacity(64)
            list.reserveCapacity(tokenCount)
        }

        mutating func add(node: Int, token: Int) {
            if slots[node] < 0 {
                slots[node] = Int32(nodes.count)
                nodes.append(Int32(node))
                counts.append(0)
            }
            let slot = slots[node]
            counts[Int(slot)] += 1
            list.append((slot, token))
        }
    }

    /// Which nodes can match this text at all (`tables.possible`), from the term and prefix
    /// nodes its tokens hit: not a term no token has, nor an AND, phrase or NEAR missing one
    /// of its parts, nor an OR missing all of them (a NOT may always match). Found upwards
    /// from the hits and the NOTs, each node counting its children as they turn out
    /// possible, so the work follows the few words a text shares with the rules, not the
    /// size of the rules. The answer is exact for "cannot": such a node evaluates to no match
    /// and no spans. The entries changed are noted in `tables`, to be put back.
    private static func findPossibleNodes(_ program: QueryProgram, from hits: [Int32], in tables: NodeTables) {
        let possible = tables.possible, remaining = tables.remaining
        let made = tables.madePossible, countedDown = tables.countedDown
        let parents = program.parents
        // The nodes found possible are also the work list: each is taken in turn (the order
        // does not change which nodes end up possible) and its parents counted down.
        var madeCount = 0, countedDownCount = 0
        func makePossible(_ node: Int32) {
            assert(madeCount < tables.count, "a node is found possible once")
            possible[Int(node)] = true
            made[madeCount] = node
            madeCount += 1
        }
        for node in hits { makePossible(node) }
        for node in program.alwaysPossible { makePossible(node) }
        program.childrenNeeded.withUnsafeBufferPointer { needed in
            var next = 0
            while next < madeCount {
                let node = made[next]
                next += 1
                parents.forEach(of: Int(node)) { parent in
                    let parent = Int(parent)
                    guard !possible[parent] else { return }
                    if remaining[parent] == needed[parent] {
                        countedDown[countedDownCount] = Int32(parent)
                        countedDownCount += 1
                    }
                    remaining[parent] -= 1
                    if remaining[parent] == 0 { makePossible(Int32(parent)) }
                }
            }
        }
        tables.madePossibleCount = madeCount
        tables.countedDownCount = countedDownCount
    }

    /// Evaluates one rule's root with a fresh budget; nil when the budget ran out, and the
    /// rule must count as not matched.
    mutating func evaluateRule(_ root: Int) -> Result? {
        renewBudget()
        // Most rules cannot match a given text: answered here, as `evaluate` would.
        guard tables.possible[root] else { return (false, []) }
        let result = evaluate(root)
        return exhausted ? nil : result
    }

    /// A whole budget again, for what is evaluated next.
    mutating func renewBudget() {
        spent = 0
        exhausted = false
    }

    /// Takes `work` from the budget; false once it is spent.
    private mutating func charge(_ work: Int) -> Bool {
        spent += work
        if spent > budget { exhausted = true }
        return !exhausted
    }

    mutating func evaluate(_ id: Int) -> Result {
        let slot = tables.slots[id]
        if slot >= 0 { return results[Int(slot)] }
        guard !exhausted else { return (false, []) }
        guard tables.possible[id] else { return (false, []) }
        let result = compute(nodes[id], id: id)
        // A result cut short by the budget is not the node's answer: another rule sharing
        // the node computes it again under its own budget.
        if charge(result.spans.count + 1) {
            tables.slots[id] = Int32(results.count)
            tables.evaluated.append(Int32(id))
            results.append(result)
        }
        return result
    }

    private mutating func compute(_ node: QueryProgram.Node, id: Int) -> Result {
        switch node {
        case .term(_, let field), .prefix(_, let field):
            let slot = Int(tables.hitSlots[id])
            return slot < 0 ? (false, []) : single(hitIndices[hitStarts[slot]..<hitStarts[slot + 1]], field)
        case .phrase(let parts, let field):
            return phrase(parts, field)
        // The first part's spans are taken as they are (the array shared, not copied): an OR
        // is mostly matched by one of its parts.
        case .and(let parts):
            var spans: [Span] = []
            for (number, part) in parts.enumerated() {
                let partial = evaluate(part)
                guard partial.matched, charge(partial.spans.count) else { return (false, []) }
                if number == 0 { spans = partial.spans } else { spans += partial.spans }
            }
            return (true, spans)
        case .or(let parts):
            var matched = false
            var spans: [Span] = []
            for part in parts {
                // A part the text lacks the words of is no match and costs nothing (it is never
                // evaluated, so never stored): passed over here, without the call, whose empty
                // result was made and released for each (evaluating rules 151M -> 101M
                // instructions per 10k items, 3% of reading them).
                if !tables.possible[part] {
                    if exhausted { return (false, []) }
                    continue
                }
                let partial = evaluate(part)
                guard charge(partial.spans.count) else { return (false, []) }
                guard partial.matched else { continue }
                if matched { spans += partial.spans } else { spans = partial.spans }
                matched = true
            }
            return (matched, spans)
        case .not(let inner):
            let partial = evaluate(inner)
            return (!exhausted && !partial.matched, [])
        case .near(let a, let b, let distance):
            let left = evaluate(a).spans
            return near(left, evaluate(b).spans, distance)
        }
    }

    /// One-token spans at `indices`, in `field`.
    private func single(_ indices: ArraySlice<Int>, _ field: Query.Field?) -> Result {
        // One array, made to size (a filter then a map made two).
        var spans: [Span] = []
        spans.reserveCapacity(indices.count)
        for index in indices where text.inField(index, field) { spans.append(Span(first: index, last: index)) }
        return (!spans.isEmpty, spans)
    }

    private mutating func phrase(_ parts: [Int], _ field: Query.Field?) -> Result {
        guard let first = parts.first else { return (false, []) }
        var spans: [Span] = []
        for start in evaluate(first).spans where text.inField(start.first, field) {
            guard charge(parts.count) else { return (false, []) }
            var index = start.first
            var ok = true
            for part in parts.dropFirst() {
                let next = index + 1
                guard next < text.tokens.count, text.tokens[next].position == text.tokens[index].position + 1,
                      matchesSingle(part, at: next) else { ok = false; break }
                index = next
            }
            if ok { spans.append(Span(first: start.first, last: index)) }
        }
        return (!spans.isEmpty, spans)
    }

    private func matchesSingle(_ id: Int, at index: Int) -> Bool {
        switch nodes[id] {
        case .term(let term, _): return text.tokens[index].termID == term
        case .prefix:
            var found = false
            program.prefixes.forEachMatch(text.tokens[index].surface) { found = found || $0 == id }
            return found
        default: return false
        }
    }

    /// The spans of either side that have a partner on the other side within `distance`
    /// words, each once. Listing every pair instead made nested NEARs multiply their spans
    /// level by level (a fuzzed rule took minutes), and scanning each span's window cost the
    /// product of the counts for a wide NEAR; each span now asks its nearest neighbours on the
    /// other side, found by binary search, so one NEAR costs O(n log n) whatever its distance.
    private mutating func near(_ left: [Span], _ right: [Span], _ distance: Int) -> Result {
        let count = left.count + right.count
        guard charge(count * (count.bitWidth - count.leadingZeroBitCount + 1)) else { return (false, []) }
        let lefts = NeighbourIndex(left, text.tokens), rights = NeighbourIndex(right, text.tokens)
        let kept = lefts.spans.filter { rights.hasPartner($0, within: distance) }
            + rights.spans.filter { lefts.hasPartner($0, within: distance) }
        let spans = Set(kept).sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        return (!spans.isEmpty, spans)
    }
}

/// One side of a NEAR, indexed to answer "is any of these spans within n words of that one?"
/// in O(log n). Token positions grow with token indices, so the nearest span after another is
/// the one that starts first, and the nearest before it the one that ends last.
struct NeighbourIndex {
    let tokens: [Token]
    /// Distinct spans, by first token.
    let spans: [Span]
    /// The largest `last` among `spans[0...i]`: whether any span starting in time overlaps.
    private let reach: [Int]
    /// Every span's last token, ascending.
    private let lasts: [Int]

    init(_ spans: [Span], _ tokens: [Token]) {
        self.tokens = tokens
        self.spans = Set(spans).sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        var reach: [Int] = []
        reach.reserveCapacity(self.spans.count)
        for span in self.spans { reach.append(max(reach.last ?? Int.min, span.last)) }
        self.reach = reach
        lasts = self.spans.map(\.last).sorted()
    }

    /// Whether a span here overlaps `span` or has at most `distance` words between them.
    func hasPartner(_ span: Span, within distance: Int) -> Bool {
        // Spans starting after `span` ends: the first of them is the nearest.
        let after = Self.firstIndex(in: spans.count) { spans[$0].first > span.last }
        if after < spans.count,
           tokens[spans[after].first].position - tokens[span.last].position - 1 <= distance { return true }
        // Spans starting before it ends overlap it when one reaches its start.
        if after > 0 && reach[after - 1] >= span.first { return true }
        // Spans ending before it starts: the last of them is the nearest.
        let before = Self.firstIndex(in: lasts.count) { lasts[$0] >= span.first } - 1
        return before >= 0 && tokens[span.first].position - tokens[lasts[before]].position - 1 <= distance
    }

    /// The first index in 0..<count where `isPast` holds (it holds for every later one), or count.
    private static func firstIndex(in count: Int, where isPast: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isPast(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// Evaluates single queries against analysed text (for tests and one-off matching).
struct QueryMatcher {
    let text: AnalyzedText
    let analyzer: Analyzer

    func evaluate(_ query: Query) -> (matched: Bool, spans: [Span]) {
        let program = QueryProgram(analyzer: analyzer)
        let root = program.add(query)
        var evaluator = QueryEvaluator(program: program, text: text)
        defer { evaluator.finish() }
        return evaluator.evaluate(root)
    }

    /// The words behind spans, as written, without repeats: ["China", "joint drills"].
    func words(_ spans: [Span], limit: Int = 6) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for span in spans.sorted(by: { $0.first < $1.first }) {
            let phrase = Self.written(text.tokens[span.first...span.last])
            if seen.insert(phrase.lowercased()).inserted {
                out.append(phrase)
                if out.count == limit { break }
            }
        }
        return out
    }

    /// Consecutive tokens as the text writes them: words with a space between, and Chinese
    /// bigrams that overlap (海上 上联 联合 → 海上联合) as the characters they cover.
    static func written(_ tokens: ArraySlice<Token>) -> String {
        var phrase = ""
        var previous: Token?
        for token in tokens {
            defer { previous = token }
            guard let before = previous else {
                phrase = token.original
                continue
            }
            let last = Array(before.original.unicodeScalars), next = Array(token.original.unicodeScalars)
            if token.position == before.position + 1, last.count == 2, next.count == 2, last[1] == next[0],
               Analyzer.isCJK(last[0]), Analyzer.isCJK(next[0]), Analyzer.isCJK(next[1]) {
                phrase.unicodeScalars.append(next[1])
            } else {
                phrase += " " + token.original
            }
        }
        return phrase
    }
}

/// Which prefix nodes of a program each word starts with, by the word's surface id (see
/// `Analyzer`), remembered from the first time the word is read: a word's surface id never
/// changes, nor, once the program is built, its prefixes.
///
/// `@unchecked Sendable`: the tables are read only holding `lock` for reading and changed only
/// holding it for writing; `forgetAll` runs while the program is built, before any reading.
final class SurfacePrefixes: @unchecked Sendable {
    private let lock = ReadWriteLock()
    /// Per surface id: 0 not known yet, 1 no prefix, k + 2 the nodes of list k. (Checked for
    /// exclusivity statically only: the lock keeps threads apart, and no access is re-entrant.)
    @exclusivity(unchecked) private var entries: [Int32] = []
    /// List k is `listNodes[listStarts[k]..<listStarts[k + 1]]`.
    @exclusivity(unchecked) private var listStarts: [Int32] = [0]
    @exclusivity(unchecked) private var listNodes: [Int32] = []

    /// Calls `body(token index, node)` for every token and every prefix node its word starts
    /// with, in token order. A word not known yet is walked through `trie` (which must be
    /// the one these answers are for) and remembered.
    func forEachMatch(in tokens: [Token], trie: PrefixTrie, _ body: (Int, Int) -> Void) {
        var learned: [(surface: Int32, nodes: [Int32])] = []
        lock.withReading {
            entries.withUnsafeBufferPointer { entries in
                listStarts.withUnsafeBufferPointer { starts in
                    listNodes.withUnsafeBufferPointer { nodes in
                        for index in tokens.indices {
                            let surface = Int(tokens[index].surfaceID)
                            let entry = surface >= 0 && surface < entries.count ? entries[surface] : 0
                            if entry == 1 { continue }
                            if entry >= 2 {
                                let list = Int(entry) - 2
                                for node in nodes[Int(starts[list])..<Int(starts[list + 1])] { body(index, Int(node)) }
                                continue
                            }
                            var found: [Int32] = []
                            trie.forEachMatch(tokens[index].surface) { found.append(Int32($0)) }
                            for node in found { body(index, Int(node)) }
                            if surface >= 0 { learned.append((Int32(surface), found)) }
                        }
                    }
                }
            }
        }
        guard !learned.isEmpty else { return }
        lock.withWriting {
            for (surface, found) in learned {
                let surface = Int(surface)
                // Grown by half at least: the lexicon grows by a word at a time.
                if surface >= entries.count {
                    entries += Array(repeating: 0, count: max(surface + 1 - entries.count, 1024, entries.count / 2))
                }
                guard entries[surface] == 0 else { continue }
                if found.isEmpty {
                    entries[surface] = 1
                } else {
                    entries[surface] = Int32(listStarts.count - 1 + 2)
                    listNodes += found
                    listStarts.append(Int32(listNodes.count))
                }
            }
        }
    }

    /// Forgets every answer: the trie changed.
    func forgetAll() {
        lock.withWriting {
            entries = []
            listStarts = [0]
            listNodes = []
        }
    }
}

/// Byte strings in a trie, each naming a node of a program: which of them a word starts with,
/// found by walking the word's bytes once.
struct PrefixTrie {
    private struct Link {
        var byte: UInt8
        var target: Int32
    }

    /// Per trie state, its transitions, as built.
    private var links: [[Link]] = [[]]
    /// The same laid out flat for walking: state `s` has `edgeCount[s]` transitions from
    /// `edgeStart[s]` in `bytes` and `targets`.
    private var edgeStart: [Int32] = [0]
    private var edgeCount: [Int32] = [0]
    private var bytes: [UInt8] = []
    private var targets: [Int32] = []
    /// Per state, the program nodes whose prefix ends there, as built; then flat, as the
    /// transitions are: state `s` has `endingCount[s]` nodes from `endingStart[s]`.
    private var endings: [[Int]] = [[]]
    private var endingStart: [Int32] = [0]
    private var endingCount: [Int32] = [0]
    private var endingNodes: [Int] = []
    /// The first step by byte (-1: no prefix starts with it): the root has most transitions,
    /// and most words leave the trie there.
    private var rootTargets = [Int32](repeating: -1, count: 256)
    private var hasEmptyPrefix = false

    private(set) var isEmpty = true
    /// Whether prefixes were inserted since the transitions were last laid out for walking.
    private(set) var needsLayout = false

    /// Adds `prefix` for `node`. Build-time only: `layOut` must follow before a walk (once
    /// for a query's prefixes, not once for each: laying out again at every insert was
    /// quadratic, a twentieth of a classifier's construction).
    mutating func insert(_ prefix: [UInt8], node: Int) {
        var state = 0
        for byte in prefix {
            if let link = links[state].first(where: { $0.byte == byte }) {
                state = Int(link.target)
            } else {
                links.append([])
                endings.append([])
                links[state].append(Link(byte: byte, target: Int32(links.count - 1)))
                state = links.count - 1
            }
        }
        endings[state].append(node)
        isEmpty = false
        needsLayout = true
    }

    /// Lays the transitions out flat for walking.
    mutating func layOut() {
        needsLayout = false
        hasEmptyPrefix = !endings[0].isEmpty
        for link in links[0] { rootTargets[Int(link.byte)] = link.target }
        edgeStart = []
        edgeCount = []
        bytes = []
        targets = []
        for list in links {
            edgeStart.append(Int32(bytes.count))
            edgeCount.append(Int32(list.count))
            for link in list {
                bytes.append(link.byte)
                targets.append(link.target)
            }
        }
        endingStart = endings.map { _ in 0 }
        endingCount = endings.map { Int32($0.count) }
        endingNodes = []
        for (state, nodes) in endings.enumerated() {
            endingStart[state] = Int32(endingNodes.count)
            endingNodes += nodes
        }
    }

    /// Calls `body` with every node whose prefix `word` starts with.
    func forEachMatch(_ word: String, _ body: (Int) -> Void) {
        // Through the word's bytes in place (a small string's on the stack).
        _ = word.utf8.withContiguousStorageIfAvailable { walk($0, body) } ?? walk(Array(word.utf8), body)
    }

    private func walk(_ word: some Collection<UInt8>, _ body: (Int) -> Void) {
        assert(!needsLayout, "PrefixTrie walked before layOut()")
        func reached(_ state: Int) {
            let start = Int(endingStart[state])
            for index in start..<(start + Int(endingCount[state])) { body(endingNodes[index]) }
        }
        if hasEmptyPrefix { reached(0) }
        // Most words leave at the first byte: one table look.
        guard let first = word.first, rootTargets[Int(first)] >= 0 else { return }
        var state = Int(rootTargets[Int(first)])
        reached(state)
        for byte in word.dropFirst() {
            let start = Int(edgeStart[state]), end = start + Int(edgeCount[state])
            var edge = start
            while edge < end && bytes[edge] != byte { edge += 1 }
            guard edge < end else { return }
            state = Int(targets[edge])
            reached(state)
        }
    }
}
