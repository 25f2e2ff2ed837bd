import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

/// Turns an HTML fragment into the plain text a reader (and the classifier) sees: scripts,
/// styles and other non-content elements are dropped, character references decoded, and block
/// boundaries kept as paragraph breaks ("\n\n") while runs of white space inside a paragraph
/// collapse to one space. The text holds no control character (C0 or C1) but those line feeds.
///
/// Why not libxml2's HTML parser (as before): a parser context per item was a quarter of
/// parsing a feed, for fragments of a few hundred bytes. This is one pass over the bytes that
/// follows the same rules libxml2's HTML parser applies to a fragment in a `<body>`, where
/// they change the text: raw text in `script` and `style`; `html`, `head` and `body` tags
/// ignored; void elements; a start tag closing the open element it may not sit in (`<p>` an
/// open `<p>`, `<li>` an open `<li>`); an end tag closing the elements above its match unless
/// one of them outranks it (a `</p>` does not close a `<div>`), and ignored when nothing
/// matches; named references from HTML 4's table (libxml2's own), numeric ones unless they
/// name no character, and references to C1 controls read as windows-1252 (as
/// `HTMLNormalizer` writes them). A test compares the two on every feed of the conformance suite.
public enum HTMLText {
    public static func plainText(fromHTML input: String) -> String {
        var html = input
        return html.withUTF8(plainText(fromHTMLBytes:))
    }

    /// The same for UTF-8 bytes.
    public static func plainText(fromHTMLBytes bytes: UnsafeBufferPointer<UInt8>) -> String {
        var reader = FragmentReader(bytes)
        reader.read()
        return reader.collector.result()
    }
}

/// What an element does to the text, by name.
private struct TagRole: OptionSet {
    let rawValue: UInt8
    /// Its content is not text (`script`, `svg`, `title`…).
    static let skipped = TagRole(rawValue: 1)
    /// It starts and ends a paragraph.
    static let block = TagRole(rawValue: 2)
    /// It has no content and no end tag (`br`, `img`).
    static let void = TagRole(rawValue: 4)
    /// Its content is raw text up to its end tag (`script`, `style`).
    static let rawText = TagRole(rawValue: 8)
    /// In a fragment its tags are ignored (`html`, `head`, `body`).
    static let ignored = TagRole(rawValue: 16)
    /// A table cell: a space before it.
    static let cell = TagRole(rawValue: 32)
    static let lineBreak = TagRole(rawValue: 64)
}

/// A lower-cased tag name as a value: up to 16 bytes packed into two words (compared without
/// a string or a hash), a longer one by its place among the fragment's long names.
private struct TagName: Equatable {
    var low: UInt64 = 0
    var high: UInt64 = 0
    var count: Int = 0

    /// The bytes of a name of up to 16 bytes.
    var bytes: [UInt8] {
        (0..<min(count, 16)).map { UInt8(truncatingIfNeeded: ($0 < 8 ? low >> (8 * $0) : high >> (8 * ($0 - 8)))) }
    }

    init(packing bytes: some Collection<UInt8>) {
        count = bytes.count
        for (offset, byte) in bytes.enumerated() where offset < 16 {
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if offset < 8 { low |= UInt64(lower) << (8 * offset) } else { high |= UInt64(lower) << (8 * (offset - 8)) }
        }
    }

    init(long index: Int, count: Int) {
        low = UInt64(index)
        high = .max
        self.count = count
    }
}

/// An element's name and what libxml2's HTML parser knows of it.
private struct Tag {
    let name: TagName
    /// The name's place among the names libxml2's rules mention (-1: none of them).
    let index: Int
    let role: TagRole
    /// libxml2's `htmlEndPriority`: an end tag closes the elements above its match only when
    /// none of them ranks higher than it.
    let priority: Int
    /// libxml2's `htmlStartClose`, for the elements a fragment's text depends on: this start
    /// tag closes the open element on top while it is one of these (by `index`, as bits).
    let closes: (UInt64, UInt64)

    /// The tag named `name`, found in `known` (`Tag.known`, which a reader holds: read through
    /// the static at every tag, each access was a `swift_once` call).
    init(_ name: TagName, in known: [Tag?]) {
        self = Tag.lookup(name, in: known) ?? Tag(name: name, index: -1, role: [], priority: 100, closes: (0, 0))
    }

    private init(name: TagName, index: Int, role: TagRole, priority: Int, closes: (UInt64, UInt64)) {
        self.name = name
        self.index = index
        self.role = role
        self.priority = priority
        self.closes = closes
    }

    var closesAny: Bool { closes.0 | closes.1 != 0 }

    func closes(_ other: Tag) -> Bool {
        guard other.index >= 0 else { return false }
        return other.index < 64 ? closes.0 & (1 << other.index) != 0 : closes.1 & (1 << (other.index - 64)) != 0
    }

    /// The known names in an open-addressed table of packed names: one multiply and a compare
    /// or two per tag (a dictionary of strings hashed every name: 5% of reading a feed).
    private static func lookup(_ name: TagName, in table: [Tag?]) -> Tag? {
        guard name.count <= 16 else { return nil }
        var slot = Self.slot(name)
        while let tag = table[slot] {
            if tag.name == name { return tag }
            slot = (slot + 1) & (table.count - 1)
        }
        return nil
    }

    private static func slot(_ name: TagName) -> Int {
        Int(truncatingIfNeeded: ((name.low ^ name.high &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9) >> 56)
    }

    /// Every name with a role, a priority, elements it closes or that another closes.
    static let known: [Tag?] = {
        var roles: [String: TagRole] = [:]
        for name in ["noscript", "template", "title", "iframe", "object", "svg", "math"] { roles[name] = .skipped }
        for name in ["script", "style"] { roles[name] = [.skipped, .rawText] }
        for name in ["html", "head", "body"] { roles[name] = .ignored }
        for name in [
            "p", "div", "section", "article", "header", "footer", "aside", "nav", "main",
            "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
            "blockquote", "pre", "figure", "figcaption", "address", "form", "fieldset",
        ] { roles[name] = .block }
        for name in ["area", "base", "basefont", "col", "embed", "frame", "img", "input", "isindex", "link", "meta", "param"] {
            roles[name] = .void
        }
        roles["hr"] = [.block, .void]
        roles["br"] = [.void, .lineBreak]
        roles["td"] = .cell
        roles["th"] = .cell

        let priorities = [
            "div": 150, "td": 160, "th": 160, "tr": 170, "thead": 180, "tbody": 180, "tfoot": 180,
            "table": 190, "head": 200, "body": 200, "html": 220,
        ]

        let headings: Set = ["h1", "h2", "h3", "h4", "h5", "h6"]
        let fontStyles: Set = ["tt", "i", "b", "u", "s", "strike", "big", "small"]
        let lists: Set = ["menu", "dir", "address", "pre", "listing", "xmp"]
        var closes: [String: Set<String>] = [
            "p": Set(["p"]).union(headings).union(fontStyles),
            "div": ["p"], "hr": ["p"], "blockquote": ["p"], "center": ["font", "b", "i", "p"],
            "ul": Set(["p", "ol"]).union(lists), "ol": ["p", "ul"], "menu": ["p", "ul"],
            "pre": ["p", "ul"], "address": ["p", "ul"], "listing": ["p"], "xmp": ["p"],
            "li": Set(["p", "dl", "li"]).union(headings).union(["address", "pre", "listing", "xmp"]),
            "dl": Set(["p", "dt"]).union(lists), "dt": Set(["p", "dd"]).union(lists), "dd": Set(["p", "dt"]).union(lists),
            "table": Set(["p", "a", "pre", "listing", "xmp"]).union(headings),
            "fieldset": Set(["legend", "p", "a", "pre", "listing", "xmp"]).union(headings),
            "form": Set(["form", "p", "hr", "dl", "ul", "ol"]).union(headings).union(lists),
            "caption": ["p"], "colgroup": ["caption", "colgroup", "col", "p"], "col": ["caption", "col", "p"],
            "tr": ["th", "td", "tr", "caption", "col", "colgroup", "p"],
            "td": ["th", "td", "p"], "th": ["th", "td", "p", "span", "font", "a", "b", "i", "u"],
            "thead": ["caption", "col", "colgroup"],
            "tfoot": ["th", "td", "tr", "caption", "col", "colgroup", "thead", "tbody", "p"],
            "tbody": ["th", "td", "tr", "caption", "col", "colgroup", "thead", "tfoot", "tbody", "p"],
            "head": ["p"], "title": ["p"], "body": ["p", "style", "script", "title"], "noscript": ["script"],
            "option": ["option"], "optgroup": ["option"], "a": ["a"],
        ]
        for heading in headings { closes[heading] = Set(["p"]).union(headings) }

        let names = Set(roles.keys).union(priorities.keys).union(closes.keys).union(closes.values.joined()).sorted()
        precondition(names.count <= 128, "more tag names than the closing bits hold")
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var table = [Tag?](repeating: nil, count: 512)
        for name in names {
            var bits: (UInt64, UInt64) = (0, 0)
            for closed in closes[name] ?? [] {
                let i = index[closed]!
                if i < 64 { bits.0 |= 1 << i } else { bits.1 |= 1 << (i - 64) }
            }
            let tag = Tag(name: TagName(packing: Array(name.utf8)), index: index[name]!, role: roles[name] ?? [],
                          priority: priorities[name] ?? 100, closes: bits)
            var slot = Self.slot(tag.name)
            while table[slot] != nil { slot = (slot + 1) & (table.count - 1) }
            table[slot] = tag
        }
        return table
    }()
}

/// One pass over a fragment's bytes: markup is recognised where libxml2 would recognise it,
/// text goes to the collector.
private struct FragmentReader: ~Copyable {
    let s: UnsafeBufferPointer<UInt8>
    var i = 0
    var collector = TextCollector()
    /// The open elements, innermost last (void elements never stay open).
    var open: [Tag] = []
    /// Tag names over 16 bytes met so far, numbered.
    private var longNames: [String: Int] = [:]
    /// How many of the open elements have content that is not text.
    var skipping = 0
    /// Deeper elements than this are not tracked: libxml2 gives up at 256 (its limit), this
    /// keeps the text.
    static let maxOpen = 256

    private let knownTags = Tag.known

    init(_ s: UnsafeBufferPointer<UInt8>) {
        self.s = s
        // Room for the nesting of a feed's HTML at once: grown from empty, the list was
        // reallocated twice a fragment.
        open.reserveCapacity(8)
    }

    mutating func read() {
        while i < s.count {
            switch s[i] {
            case UInt8(ascii: "<"): markup()
            case UInt8(ascii: "&"): reference()
            default:
                // Text up to the next `<` or `&` in one go, sixteen bytes at a time where neither is.
                var end = ByteScan.skip(s, from: i + 1, until: UInt8(ascii: "<"), UInt8(ascii: "&"), UInt8(ascii: "&"), orBelowSpace: false)
                while end < s.count, s[end] != UInt8(ascii: "<"), s[end] != UInt8(ascii: "&") { end += 1 }
                text(i..<end)
                i = end
            }
        }
    }

    private mutating func text(_ range: Range<Int>) {
        guard skipping == 0 else { return }
        collector.text(UnsafeBufferPointer(rebasing: s[range]))
    }

    // MARK: Markup

    private mutating func markup() {
        let next = byte(at: i + 1)
        if next == UInt8(ascii: "!") {
            if starts(with: "<!--") { comment() } else if startsCaseless(with: "<!doctype") { skip(to: UInt8(ascii: ">")) } else { literalLessThan() }
        } else if next == UInt8(ascii: "?") {
            skip(to: UInt8(ascii: ">"))
        } else if next == UInt8(ascii: "/") {
            endTag()
        } else if isLetter(next) {
            startTag()
        } else {
            literalLessThan()
        }
    }

    private mutating func literalLessThan() {
        text(i..<(i + 1))
        i += 1
    }

    private mutating func comment() {
        // `<!-->` and `<!--->` end at once (HTML's abrupt comments); otherwise at `-->`, and an
        // unterminated comment takes the rest.
        let body = i + 4
        if byte(at: body) == UInt8(ascii: ">") { i = body + 1; return }
        if byte(at: body) == UInt8(ascii: "-"), byte(at: body + 1) == UInt8(ascii: ">") { i = body + 2; return }
        var j = body
        while j + 2 < s.count {
            if s[j] == UInt8(ascii: "-"), s[j + 1] == UInt8(ascii: "-"), s[j + 2] == UInt8(ascii: ">") { i = j + 3; return }
            j += 1
        }
        i = s.count
    }

    /// Moves past the next `byte`, or to the end.
    private mutating func skip(to byte: UInt8) {
        var j = i
        while j < s.count, s[j] != byte { j += 1 }
        i = min(s.count, j + 1)
    }

    private mutating func startTag() {
        let nameStart = i + 1
        var j = nameStart
        while j < s.count, isNameByte(s[j]), j - nameStart < 100 { j += 1 }
        let tag = Tag(tagName(nameStart..<j), in: knownTags)
        // Attributes: a `>` inside a quoted value does not end the tag.
        var selfClosing = false
        var afterEquals = false
        while j < s.count {
            let c = s[j]
            if c == UInt8(ascii: ">") { break }
            if c == UInt8(ascii: "/"), byte(at: j + 1) == UInt8(ascii: ">") { selfClosing = true; j += 1; break }
            if afterEquals, c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                // A value (a link's address, most often) to its closing quote in one go.
                var k = ByteScan.skip(s, from: j + 1, until: c, c, c, orBelowSpace: false)
                while k < s.count, s[k] != c { k += 1 }
                // An unterminated value takes the rest of the fragment, as in libxml2.
                guard k < s.count else { i = s.count; return }
                j = k + 1
                afterEquals = false
                continue
            }
            if c == UInt8(ascii: "=") { afterEquals = true } else if !isSpace(c) { afterEquals = false }
            j += 1
        }
        // A tag left open at the end of the fragment is dropped.
        guard j < s.count else { i = s.count; return }
        i = j + 1
        // A misplaced `<head>` or `<body>` is ignored, but it still closes what it may not sit in.
        autoClose(for: tag)
        guard !tag.role.contains(.ignored) else { return }
        if tag.role.contains(.skipped) { skipping += 1 } else { collector.open(tag.role) }
        guard !tag.role.contains(.void) else { return }
        guard open.count < Self.maxOpen else {
            if tag.role.contains(.skipped) { skipping -= 1 }
            return
        }
        open.append(tag)
        if selfClosing {
            close(at: open.count - 1)
        } else if tag.role.contains(.rawText) {
            rawText(of: tag)
        }
    }

    private mutating func autoClose(for tag: Tag) {
        guard tag.closesAny else { return }
        while let top = open.last, tag.closes(top) { close(at: open.count - 1) }
    }

    /// Closes the element at `index` and every element above it.
    private mutating func close(at index: Int) {
        guard index >= 0 else { return }
        while open.count > index {
            let tag = open.removeLast()
            if tag.role.contains(.skipped) { skipping -= 1 } else { collector.close(tag.role) }
        }
    }

    /// `script` and `style` hold raw text up to their own end tag (any case).
    private mutating func rawText(of tag: Tag) {
        let name = tag.name.bytes
        var j = i
        while j + 1 < s.count {
            if s[j] == UInt8(ascii: "<"), s[j + 1] == UInt8(ascii: "/"), matchesCaseless(name, at: j + 2) { break }
            j += 1
        }
        i = j + 1 < s.count ? j : s.count
    }

    private mutating func endTag() {
        let nameStart = i + 2
        var j = nameStart
        guard j < s.count, isNameStart(s[j]) else {
            // libxml2 drops a `</` that names nothing.
            i += 2
            return
        }
        while j < s.count, isNameByte(s[j]), j - nameStart < 100 { j += 1 }
        let tag = Tag(tagName(nameStart..<j), in: knownTags)
        i = j
        skip(to: UInt8(ascii: ">"))
        guard !tag.role.contains(.ignored) else { return }
        guard let match = open.lastIndex(where: { $0.name == tag.name }) else { return }
        let priority = tag.priority
        guard open[(match + 1)...].allSatisfy({ $0.priority <= priority }) else { return }
        close(at: match)
    }

    // MARK: References

    private mutating func reference() {
        if byte(at: i + 1) == UInt8(ascii: "#") { numericReference(); return }
        var j = i + 1
        while j < s.count, j - i <= 32, isASCIIAlphanumeric(s[j]) { j += 1 }
        if j > i + 1, byte(at: j) == UInt8(ascii: ";") {
            let name = UnsafeBufferPointer(rebasing: s[(i + 1)..<j])
            if let value = commonEntity(name) ?? LibXML2.htmlEntity(named: string(i + 1..<j)), value > 0 {
                emit(value)
                i = j + 1
                return
            }
        }
        // Not a known reference: the `&` is text, and so is what follows it.
        text(i..<(i + 1))
        i += 1
    }

    /// The value of `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and `&nbsp;`, nearly every
    /// named reference in feeds' HTML, read in place: libxml2's lookup compares the name with
    /// each entry of its table in turn (3,000 instructions for `&amp;`). The values are the
    /// table's own.
    private func commonEntity(_ name: UnsafeBufferPointer<UInt8>) -> UInt32? {
        if let predefined = XMLRepair.predefinedCharacter(named: name) { return predefined }
        return name.count == 4 && memcmp("nbsp", name.baseAddress!, 4) == 0 ? 0xA0 : nil
    }

    private mutating func numericReference() {
        var j = i + 2
        let hex = byte(at: j) == UInt8(ascii: "x") || byte(at: j) == UInt8(ascii: "X")
        if hex { j += 1 }
        var value: UInt32 = 0
        while j < s.count, let digit = digitValue(s[j], hex: hex) {
            value = min(0x110000, value * (hex ? 16 : 10) + digit)
            j += 1
        }
        if byte(at: j) == UInt8(ascii: ";") { j += 1 }
        i = j
        // A reference to no character (0, a surrogate, a control character) is dropped; one to
        // a C1 control is the windows-1252 character it was meant as (`&#146;` is ’).
        if isXMLChar(value) { emit(Windows1252.c1Replacement(value) ?? value) }
    }

    private mutating func emit(_ value: UInt32) {
        guard skipping == 0, let scalar = Unicode.Scalar(value) else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4) { buffer in
            var count = 0
            UTF8.encode(scalar) { byte in
                buffer[count] = byte
                count += 1
            }
            collector.text(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    // MARK: Bytes

    private func byte(at index: Int) -> UInt8 { index < s.count ? s[index] : 0 }

    private func starts(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        return (0..<count).allSatisfy { s[i + $0] == prefix.utf8Start[$0] }
    }

    private func startsCaseless(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        return (0..<count).allSatisfy { s[i + $0] | 0x20 == prefix.utf8Start[$0] | 0x20 }
    }

    private func matchesCaseless(_ name: [UInt8], at index: Int) -> Bool {
        guard index + name.count <= s.count else { return false }
        return name.indices.allSatisfy { s[index + $0] | 0x20 == name[$0] }
    }

    /// A tag's name as a value; names over 16 bytes (no rule names one) by their place among
    /// this fragment's, so that two are the same only when their bytes are.
    private mutating func tagName(_ range: Range<Int>) -> TagName {
        guard range.count > 16 else { return TagName(packing: UnsafeBufferPointer(rebasing: s[range])) }
        let name = lowercased(range)
        if let index = longNames[name] { return TagName(long: index, count: range.count) }
        longNames[name] = longNames.count
        return TagName(long: longNames.count - 1, count: range.count)
    }

    private func lowercased(_ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { buffer in
            for (offset, index) in range.enumerated() {
                let c = s[index]
                buffer[offset] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
            }
            return range.count
        }
    }

    /// As written: entity names are case-sensitive (`&Eacute;` is not `&eacute;`).
    private func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: s[range]), as: UTF8.self)
    }
}

private func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
private func isASCIIAlphanumeric(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
/// libxml2's `htmlParseHTMLName`: a letter, `_`, `:` or `.` first, then also digits and `-`.
private func isNameStart(_ c: UInt8) -> Bool {
    isLetter(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c == UInt8(ascii: ".")
}
private func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) || c == UInt8(ascii: "-") }

private func digitValue(_ c: UInt8, hex: Bool) -> UInt32? {
    if isDigit(c) { return UInt32(c - UInt8(ascii: "0")) }
    guard hex else { return nil }
    let lower = c | 0x20
    if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f") { return UInt32(lower - UInt8(ascii: "a") + 10) }
    return nil
}

private func isXMLChar(_ value: UInt32) -> Bool {
    value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
        || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
}

/// Accumulates text as UTF-8, collapsing white space as it goes and keeping paragraph
/// boundaries; control characters other than white space (C0 and C1) are dropped: they are
/// not text, and the result holds none (feed readers rely on it).
///
/// Paragraphs are written straight into the result (the separator before one is added when
/// its first byte comes): every byte of text is copied once.
private struct TextCollector: ~Copyable {
    private var output = ByteBuffer(capacity: 1024)
    /// Where the paragraph being collected begins in `output`.
    private var paragraphStart = 0
    private var pendingSpace = false

    private var paragraphIsEmpty: Bool { output.count == paragraphStart }

    mutating func open(_ role: TagRole) {
        if role.contains(.lineBreak) {
            if !paragraphIsEmpty { output.append(0x0A) }
            pendingSpace = false
            return
        }
        if role.contains(.cell) { pendingSpace = true }
        if role.contains(.block) { breakParagraph() }
    }

    mutating func close(_ role: TagRole) {
        if role.contains(.block) { breakParagraph() }
    }

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        var i = 0
        while i < n {
            let byte = bytes[i]
            if byte > 0x20 && byte != 0xC2 {
                // A run of bytes that are neither white space nor controls, copied in one go;
                // a single space between two of them stays as it is, so words run on.
                var end = skipPlainWords(bytes, from: i + 1)
                while end < n {
                    let next = bytes[end]
                    if next > 0x20 && next != 0xC2 {
                        end += 1
                    } else if next == 0x20, end + 1 < n, bytes[end + 1] > 0x20, bytes[end + 1] != 0xC2 {
                        end += 2
                    } else {
                        break
                    }
                }
                beginRun()
                output.append(UnsafeBufferPointer(rebasing: bytes[i..<end]))
                i = end
            } else if byte == 0xC2 {
                if i + 1 < n, bytes[i + 1] == 0xA0 {
                    pendingSpace = true  // no-break space
                    i += 2
                } else if i + 1 < n, bytes[i + 1] < 0xA0 {
                    i += 2  // a C1 control (U+0080–U+009F): not text, as C0 controls are not
                } else {
                    beginRun()
                    output.append(byte)
                    i += 1
                }
            } else {
                if isSpace(byte) { pendingSpace = true }
                i += 1
            }
        }
    }

    /// How far from `start` (just after a byte that is neither white space nor a control) the
    /// run goes on, eight bytes at a time: blocks with no byte below 0x21 but single spaces
    /// between other bytes, and no 0xC2 (which may start a no-break space or a C1 control).
    /// Where a block has any other byte, the byte loop takes over at its start; it accepts
    /// exactly what this does, so the result is the same, only sooner. Most of a paragraph is
    /// words and single spaces.
    @inline(__always)
    private func skipPlainWords(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080, lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        /// The high bit of each byte of `x` that is zero, exactly (no borrow between bytes).
        func zeroBytes(_ x: UInt64) -> UInt64 { ~(((x & lows) &+ lows) | x | lows) }
        var end = start
        // Sixteen bytes a test first: the block, and the block one byte on (what follows each
        // space), compared whole.
        let space = SIMD16<UInt8>(repeating: 0x20), c2 = SIMD16<UInt8>(repeating: 0xC2)
        while end + 17 <= bytes.count {
            let block = UnsafeRawPointer(base + end).loadUnaligned(as: SIMD16<UInt8>.self)
            let next = UnsafeRawPointer(base + end + 1).loadUnaligned(as: SIMD16<UInt8>.self)
            let stops = (block .< space) .| (block .== c2)
                .| ((block .== space) .& ((next .<= space) .| (next .== c2)))
            if any(stops) { break }
            end += 16
        }
        while end + 9 <= bytes.count {
            // Byte k of the text is byte k of the value (bit 8k), whatever the machine's order.
            let block = UInt64(littleEndian: UnsafeRawPointer(base + end).loadUnaligned(as: UInt64.self))
            // Any byte below 0x20 (exact as a whole: a borrow only follows a byte that is).
            let controls = (block &- ones &* 0x20) & ~block & highs
            let spaces = zeroBytes(block ^ (ones &* 0x20))
            let c2 = zeroBytes(block ^ (ones &* 0xC2))
            // A space must be followed by a byte that would start a run: not a space (within
            // the block, or the byte after it), a control (caught above) or 0xC2.
            let doubled = spaces & (spaces >> 8)
            let next = base[end + 8]
            let lastSpaceAlone = spaces >> 63 == 0 || (next > 0x20 && next != 0xC2)
            guard controls | c2 | doubled == 0, lastSpaceAlone else { break }
            end += 8
        }
        return end
    }

    /// Before text: the paragraph separator, or the space that white space before it left.
    @inline(__always)
    private mutating func beginRun() {
        if paragraphIsEmpty {
            if !output.isEmpty {
                output.append(0x0A)
                output.append(0x0A)
                paragraphStart = output.count
            }
        } else if pendingSpace, output.last != 0x0A {
            output.append(0x20)
        }
        pendingSpace = false
    }

    private mutating func breakParagraph() {
        while !paragraphIsEmpty, output.last == 0x0A { output.removeLast() }
        paragraphStart = output.count
        pendingSpace = false
    }

    mutating func result() -> String {
        breakParagraph()
        return output.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }
}
