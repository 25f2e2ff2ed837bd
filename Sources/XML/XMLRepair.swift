import CLibXML2
import Glibc

/// A byte-level pass between decoding and libxml2 that makes real-world feeds parseable
/// without ever letting the document define or load anything.
///
/// Why it exists: libxml2 drops an undeclared entity (`&nbsp;`, `&mdash;` — common in feeds),
/// and once a document is found not well-formed it also drops every later `&amp;`. So every
/// reference is resolved here: in an attribute value (or before the root element) to a numeric
/// character reference, which libxml2 always honours; in an element's text to the character
/// itself, inside a CDATA section this pass opens and closes at the next markup (see
/// `openSection`):
/// - the five XML entities → `&#38;` `&#60;` `&#62;` `&#34;` `&#39;` (not a repair);
/// - an HTML named entity (HTML 4's table, from libxml2) → its code point (a repair);
/// - any other name, or a bare `&` → a literal ampersand (a repair, text kept);
/// - a `<` that cannot start markup → `&#60;` (a literal `<` inside an open section);
/// - C0 control characters and NUL → a space, wherever they are: text, tags, attribute values,
///   CDATA sections, comments and processing instructions (libxml2 stops reading the whole
///   document at a control character inside CDATA, so every later entry would be lost);
/// - the DOCTYPE declaration is removed, so no entity is ever declared (billion laughs and
///   external entities become inert text, not expansions or file reads);
/// - a tag's attributes past `maxAttributes` are dropped: libxml2 (2.9) checks each attribute
///   of a tag against every earlier one, so a tag of n attributes costs n²/2 comparisons (a
///   feed of 200,000 attributes on one item took 7 s). Attributes are counted by their `=`
///   outside quoted values, as libxml2 reads one attribute per `=`; the one whose `=` passes
///   the limit keeps an empty value, and the tag ends there (`/>` or `>`, as it ended).
/// CDATA sections, comments and processing instructions are otherwise copied as they are.
///
/// It also records where the start tags of chosen elements begin (`item`, `entry`), so that a
/// caller can resume after the entry libxml2 could not read.
///
/// Input must be UTF-8. It works on chunks: `process` consumes what it can decide on and
/// leaves an incomplete construct at the end of a non-final chunk for the next call.
public struct XMLRepair {
    /// Where a recorded start tag's `<` is, in the input and in the repaired output (counted
    /// from the first byte given to `process`).
    public struct Mark: Sendable, Equatable {
        public var input: Int
        public var output: Int
    }

    private enum State {
        case start, text, tag(quote: UInt8), comment, cdata, pi, doctype(depth: Int, quote: UInt8)
        /// The rest of a tag whose attributes passed the limit, dropped up to its `>`; `slash`
        /// when the last byte outside a quoted value was `/` (the tag is empty: `/>`).
        case cutTag(quote: UInt8, slash: Bool)
    }

    /// The most attributes a tag keeps (see the list above); as `AttributeLimit`'s bound.
    public static let maxAttributes = AttributeLimit.maxPerTag
    /// The `=` outside quoted values met so far in the tag being read byte by byte.
    private var tagAttributes = 0

    private var state: State = .start
    /// Set once a start tag was written: text from then on is an element's, where references
    /// may be written as the characters they stand for, in a CDATA section (see `openSection`).
    private var insideRoot = false
    /// Set while the output is inside a CDATA section this repair opened in text.
    private var inSection = false
    /// How many `]` (up to two) the open section's content ends with: a `>` after two would
    /// end it (`]]>`), so the section is split there.
    private var sectionBrackets = 0
    /// How many bytes of a closing delimiter (`-->`, `]]>`, `?>`) were matched so far.
    private var closeMatched = 0
    /// Set when the document needed a repair (so it was not well-formed as delivered).
    public private(set) var repaired = false
    /// The first repair made, for the user: "undeclared entity &nbsp;".
    public private(set) var firstRepair: String?
    /// The start tags of the elements named at `init` (any prefix), in document order.
    public private(set) var marks: [Mark] = []
    private let markedNames: [[UInt8]]
    /// Bytes consumed and produced by earlier calls to `process`, for `marks`.
    private var inputBefore = 0
    private var outputBefore = 0
    /// A start tag's qualified name longer than this is never a marked element.
    private static let maxMarkedName = 64

    /// The byte tables, held by each repair: read through the type's `static let` at every
    /// byte of text and every tag, each access asked whether it was initialised (`swift_once`),
    /// a million calls a large feed.
    private let textStops = XMLRepair.textByteStops
    private let tagKinds = XMLRepair.tagByteKinds

    /// `marking` names the elements (local names, any prefix) whose start tags are recorded.
    public init(marking names: [String] = []) {
        markedNames = names.map { Array($0.utf8) }
    }

    /// Processes `input`, appending repaired bytes to `output`; returns how many input bytes
    /// were consumed (all of them when `isLast`).
    public mutating func process(_ input: UnsafeBufferPointer<UInt8>, isLast: Bool, into output: inout ByteBuffer) -> Int {
        let outputStart = output.count
        let used = repair(input, isLast: isLast, into: &output)
        inputBefore += used
        outputBefore += output.count - outputStart
        return used
    }

    /// The repair, one state at a time; each step returns where it stopped, or nil when it
    /// needs more input than this call has (the rest waits for the next call).
    private mutating func repair(_ input: UnsafeBufferPointer<UInt8>, isLast: Bool, into output: inout ByteBuffer) -> Int {
        // Offsets in `marks` are counted from the first call; this call's output starts here.
        let outputBase = outputBefore - output.count
        var i = 0
        let n = input.count
        output.reserveCapacity(output.count + n + n / 16)
        while i < n {
            switch state {
            case .start:
                // Whitespace before the XML declaration makes it an error; drop it.
                let byte = input[i]
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { i += 1 } else { state = .text }
            case .text:
                // A run of ordinary bytes in one go; then, on the next turn, the byte that ended
                // it (the commonest case: text ends at a tag, and a tag is followed by one).
                if textStops[Int(input[i])] == 0 {
                    i = copyText(input, from: i, into: &output)
                    continue
                }
                guard let next = textSpecial(input, at: i, isLast: isLast, into: &output, outputBase: outputBase) else { return i }
                i = next
            case .cutTag(let quote, let slash):
                state = Self.cutTag(after: input[i], quote: quote, slash: slash, into: &output)
                i += 1
            case .tag(let quote):
                let runEnd = copyTagRun(input, from: i, into: &output)
                if runEnd > i { i = runEnd; continue }
                guard let next = tag(input, at: i, quote: quote, isLast: isLast, into: &output) else { return i }
                i = next
            case .comment:
                i = copyUntil(Self.commentEnd, in: "a comment", input, from: i, into: &output)
            case .cdata:
                i = copyUntil(Self.cdataEnd, in: "a CDATA section", input, from: i, into: &output)
            case .pi:
                i = copyUntil(Self.piEnd, in: "a processing instruction", input, from: i, into: &output)
            case .doctype(let depth, let quote):
                // Dropped entirely, internal subset included.
                state = Self.doctype(after: input[i], depth: depth, quote: quote)
                i += 1
            }
        }
        if isLast { closeSection(into: &output) }
        return n
    }

    /// Copies the ordinary bytes of text from `start`; returns where they end.
    private mutating func copyText(_ input: UnsafeBufferPointer<UInt8>, from start: Int, into output: inout ByteBuffer) -> Int {
        var i = ByteScan.skip(input, from: start, until: UInt8(ascii: "&"), UInt8(ascii: "<"), 0xC2, orBelowSpace: true)
        textStops.withUnsafeBufferPointer { stops in
            while i < input.count, stops[Int(input[i])] == 0 { i += 1 }
        }
        if i > start { appendText(UnsafeBufferPointer(rebasing: input[start..<i]), into: &output) }
        return i
    }

    /// 1 for the bytes that end a run of ordinary text (`&`, `<`, 0xC2, controls): one load a
    /// byte where four comparisons were.
    private static let textByteStops: [UInt8] = (0...255).map { (value: Int) -> UInt8 in
        let byte = UInt8(value)
        return byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == 0xC2 || isControl(byte) ? 1 : 0
    }

    /// Copies the bytes of a tag that need no decision (names, white space, attribute values
    /// without `&`, `<` or quotes) in one go; returns where they end.
    private func copyTagRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int, into output: inout ByteBuffer) -> Int {
        var i = start
        while i < input.count {
            let byte = input[i]
            if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "&")
                || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") || byte < 0x20 {
                break
            }
            i += 1
        }
        if i > start { output.append(UnsafeBufferPointer(rebasing: input[start..<i])) }
        return i
    }

    /// The byte of text that is not ordinary (`&`, `<`, a C1 lead byte, a control), at `i`.
    private mutating func textSpecial(_ input: UnsafeBufferPointer<UInt8>, at i: Int, isLast: Bool, into output: inout ByteBuffer,
                                      outputBase: Int) -> Int? {
        let n = input.count
        let byte = input[i]
        if byte == UInt8(ascii: "&") {
            return reference(input, at: i, isLast: isLast, asText: insideRoot, into: &output).map { i + $0 }
        } else if byte == UInt8(ascii: "<") {
            guard let marked = startsMarkedElement(input, at: i, isLast: isLast) else { return nil }
            // Markup ends the section first, so that a mark's output begins as a fresh repair
            // from there writes it (a resumed reading starts at a mark).
            if inSection {
                guard let kind = markup(at: i, in: input, isLast: isLast) else { return nil }
                if kind != .literal { closeSection(into: &output) }
            }
            let mark = Mark(input: inputBefore + i, output: outputBase + output.count)
            guard let used = markupStart(input, at: i, isLast: isLast, into: &output) else { return nil }
            // A marked name starts with a name character, so this `<` began a tag.
            if marked { marks.append(mark) }
            return i + used
        } else if byte == 0xC2 {
            // U+0080–U+009F (UTF-8 C2 80–C2 9F) in text is windows-1252 punctuation that went
            // through a Latin-1 decoder: restore the character meant.
            guard i + 1 < n else {
                if !isLast { return nil }
                appendText(byte, into: &output)
                return i + 1
            }
            let next = input[i + 1]
            if let meant = Windows1252.c1Replacement(UInt32(next)) {
                appendNonASCII(meant, into: &output)
            } else {
                appendText(byte, into: &output)
                appendText(next, into: &output)
            }
            return i + 2
        } else {
            appendText(0x20, into: &output)
            note("control character \(byte) in text")
            return i + 1
        }
    }

    /// Inside a tag: quotes tracked, `<` and controls in attribute values made harmless.
    private mutating func tag(_ input: UnsafeBufferPointer<UInt8>, at i: Int, quote: UInt8, isLast: Bool,
                              into output: inout ByteBuffer) -> Int? {
        let byte = input[i]
        if quote == 0 {
            if byte == UInt8(ascii: ">") {
                state = .text
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                state = .tag(quote: byte)
            } else if byte == UInt8(ascii: "=") {
                tagAttributes += 1
                if tagAttributes > Self.maxAttributes {
                    output.append(contentsOf: Self.emptyValue)
                    state = .cutTag(quote: 0, slash: false)
                    note("start tags with more than \(Self.maxAttributes) attributes were cut")
                    return i + 1
                }
            }
            if Self.isControl(byte) {
                output.append(0x20)
                note("control character \(byte) in a tag")
            } else {
                output.append(byte)
            }
        } else if byte == quote {
            state = .tag(quote: 0)
            output.append(byte)
        } else if byte == UInt8(ascii: "&") {
            return reference(input, at: i, isLast: isLast, asText: false, into: &output).map { i + $0 }
        } else if byte == UInt8(ascii: "<") {
            output.append(contentsOf: Self.ltReference)
            note("'<' in an attribute value")
        } else if Self.isControl(byte) {
            output.append(0x20)
            note("control character \(byte) in an attribute")
        } else {
            output.append(byte)
        }
        return i + 1
    }

    /// The state after one more byte of a tag being cut: quoted values followed, so that a
    /// `>` inside one does not end the tag; at its end, the tag is closed as it was.
    private static func cutTag(after byte: UInt8, quote: UInt8, slash: Bool, into output: inout ByteBuffer) -> State {
        if quote != 0 { return .cutTag(quote: byte == quote ? 0 : quote, slash: false) }
        switch byte {
        case UInt8(ascii: ">"):
            if slash { output.append(UInt8(ascii: "/")) }
            output.append(byte)
            return .text
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .cutTag(quote: byte, slash: false)
        case UInt8(ascii: "/"): return .cutTag(quote: 0, slash: true)
        case 0x20, 0x09, 0x0A, 0x0D: return .cutTag(quote: 0, slash: slash)
        default: return .cutTag(quote: 0, slash: false)
        }
    }

    /// The DOCTYPE's state after one more byte: quotes and the internal subset's brackets
    /// followed, until its closing `>`.
    private static func doctype(after byte: UInt8, depth: Int, quote: UInt8) -> State {
        if quote != 0 { return byte == quote ? .doctype(depth: depth, quote: 0) : .doctype(depth: depth, quote: quote) }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return .doctype(depth: depth, quote: byte) }
        if byte == UInt8(ascii: "[") { return .doctype(depth: depth + 1, quote: 0) }
        if byte == UInt8(ascii: "]") { return .doctype(depth: max(0, depth - 1), quote: 0) }
        if byte == UInt8(ascii: ">") && depth == 0 { return .text }
        return .doctype(depth: depth, quote: quote)
    }

    // MARK: - Pieces

    private static let commentEnd = Array("-->".utf8)
    private static let cdataEnd = Array("]]>".utf8)
    private static let piEnd = Array("?>".utf8)
    private static let ltReference = Array("&#60;".utf8)
    private static let ampReference = Array("&#38;".utf8)
    private static let emptyValue = Array("=\"\"".utf8)

    /// C0 controls and NUL; tab, line feed and carriage return are XML characters.
    private static func isControl(_ byte: UInt8) -> Bool {
        byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D
    }

    private mutating func note(_ repair: @autoclosure () -> String) {
        repaired = true
        if firstRepair == nil { firstRepair = repair() }
    }

    /// Copies bytes up to and including `delimiter`, then returns to text. A control
    /// character becomes a space, as in text: libxml2 rejects it in these constructs too.
    private mutating func copyUntil(
        _ delimiter: [UInt8], in construct: String, _ input: UnsafeBufferPointer<UInt8>, from start: Int,
        into output: inout ByteBuffer
    ) -> Int {
        var i = start
        var copied = start
        let first = delimiter[0]
        while i < input.count {
            if closeMatched == 0 {
                // Most bytes neither begin the delimiter nor are controls: pass over them,
                // sixteen at a time.
                i = ByteScan.skip(input, from: i, until: first, first, first, orBelowSpace: true)
                while i < input.count, input[i] != first, input[i] >= 0x20 { i += 1 }
                if i == input.count { break }
            }
            let byte = input[i]
            i += 1
            if Self.isControl(byte) {
                output.append(UnsafeBufferPointer(rebasing: input[copied..<(i - 1)]))
                output.append(0x20)
                copied = i
                note("control character \(byte) in \(construct)")
            }
            if byte == delimiter[closeMatched] {
                closeMatched += 1
                if closeMatched == delimiter.count {
                    closeMatched = 0
                    state = .text
                    break
                }
            } else {
                closeMatched = byte == delimiter[0] ? 1 : 0
            }
        }
        output.append(UnsafeBufferPointer(rebasing: input[copied..<i]))
        return i
    }

    /// Whether the `<` at `i` begins a start tag of a marked element; nil when more input is
    /// needed to tell.
    private func startsMarkedElement(_ input: UnsafeBufferPointer<UInt8>, at i: Int, isLast: Bool) -> Bool? {
        guard !markedNames.isEmpty else { return false }
        // An end tag (half of all tags) is never marked.
        if i + 1 < input.count, input[i + 1] == UInt8(ascii: "/") { return false }
        // The qualified name ends at white space, `>` or `/`; its local name follows the last `:`.
        var end = i + 1
        var localStart = end
        while end < input.count && end - i <= Self.maxMarkedName {
            let byte = input[end]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "/") {
                break
            }
            if byte == UInt8(ascii: ":") { localStart = end + 1 }
            end += 1
        }
        if end == input.count && !isLast && end - i <= Self.maxMarkedName { return nil }
        let length = end - localStart
        return markedNames.contains { name in
            name.count == length && name.withUnsafeBufferPointer { memcmp($0.baseAddress!, input.baseAddress! + localStart, length) == 0 }
        }
    }

    /// What a `<` in text begins.
    private enum Markup { case literal, comment, cdata, doctype, pi, tag }

    /// What the `<` at `i` begins; nil when more input is needed to tell.
    private func markup(at i: Int, in input: UnsafeBufferPointer<UInt8>, isLast: Bool) -> Markup? {
        let rest = UnsafeBufferPointer(rebasing: input[i...])
        func hasPrefix(_ text: StaticString, caseInsensitive: Bool = false) -> Bool? {
            let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            for (k, expected) in bytes.enumerated() {
                guard k < rest.count else { return isLast ? false : nil }
                var actual = rest[k]
                if caseInsensitive, actual >= 0x61, actual <= 0x7A { actual -= 0x20 }
                if actual != expected { return false }
            }
            return true
        }
        guard rest.count >= 2 else { return isLast ? .literal : nil }
        let next = rest[1]
        if next == UInt8(ascii: "!") {
            guard let comment = hasPrefix("<!--") else { return nil }
            if comment { return .comment }
            guard let cdata = hasPrefix("<![CDATA[") else { return nil }
            if cdata { return .cdata }
            guard let doctype = hasPrefix("<!DOCTYPE", caseInsensitive: true) else { return nil }
            return doctype ? .doctype : .literal
        }
        if next == UInt8(ascii: "?") { return .pi }
        if next == UInt8(ascii: "/") || next == UInt8(ascii: "_") || next == UInt8(ascii: ":")
            || next >= 0x80 || (next | 0x20 >= UInt8(ascii: "a") && next | 0x20 <= UInt8(ascii: "z")) {
            return .tag
        }
        return .literal
    }

    /// Handles `<` in text. Returns bytes consumed, or nil when more input is needed.
    private mutating func markupStart(_ input: UnsafeBufferPointer<UInt8>, at i: Int, isLast: Bool, into output: inout ByteBuffer) -> Int? {
        guard let kind = markup(at: i, in: input, isLast: isLast) else { return nil }
        let rest = UnsafeBufferPointer(rebasing: input[i...])
        switch kind {
        case .literal:
            // Inside an open section a `<` is text as it is.
            if inSection { appendText(UInt8(ascii: "<"), into: &output) } else { output.append(contentsOf: Self.ltReference) }
            note(rest.count < 2 ? "'<' at the end of the document" : "'<' that starts no markup")
            return 1
        case .comment:
            state = .comment
            output.append("<!--")
            return 4
        case .cdata:
            state = .cdata
            output.append("<![CDATA[")
            return 9
        case .doctype:
            state = .doctype(depth: 0, quote: 0)
            return 9
        case .pi:
            state = .pi
            output.append(contentsOf: [UInt8(ascii: "<"), rest[1]])
            return 2
        case .tag:
            if rest[1] != UInt8(ascii: "/") { insideRoot = true }
            tagAttributes = 0
            if let end = plainTagEnd(rest) {
                output.append(UnsafeBufferPointer(rebasing: rest[...end]))
                return end + 1
            }
            state = .tag(quote: 0)
            output.append(UInt8(ascii: "<"))
            return 1
        }
    }

    /// Where the `>` that ends the tag starting `rest` is, when the tag needs no repair: no
    /// `&`, `<` or control character anywhere in it, and no more than `maxAttributes`. Such a tag (nearly every one) is copied
    /// whole; any other, or one that goes on past this chunk, is read byte by byte in the
    /// `.tag` state, which gives the same bytes for a tag like this one.
    private func plainTagEnd(_ rest: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = rest.baseAddress else { return nil }
        // One table load a byte, not five comparisons: a tag's bytes are short names,
        // attributes and values, seldom more than a few dozen. Sixteen bytes that hold none
        // of the bytes the table marks are passed in one test.
        let end = SIMD16<UInt8>(repeating: UInt8(ascii: ">")), double = SIMD16<UInt8>(repeating: UInt8(ascii: "\""))
        let single = SIMD16<UInt8>(repeating: UInt8(ascii: "'")), ampersand = SIMD16<UInt8>(repeating: UInt8(ascii: "&"))
        let less = SIMD16<UInt8>(repeating: UInt8(ascii: "<")), space = SIMD16<UInt8>(repeating: 0x20)
        let equals = SIMD16<UInt8>(repeating: UInt8(ascii: "="))
        return tagKinds.withUnsafeBufferPointer { kinds -> Int? in
            var quote: UInt8 = 0
            var attributes = 0
            var k = 1
            while k < rest.count {
                if k + 16 <= rest.count {
                    let block = UnsafeRawPointer(base + k).loadUnaligned(as: SIMD16<UInt8>.self)
                    let marked = (block .== end) .| (block .== double) .| (block .== single) .| (block .== ampersand)
                        .| (block .== less) .| (block .< space) .| (block .== equals)
                    guard any(marked) else { k += 16; continue }
                    k += ByteScan.firstLane(marked)
                }
                let byte = base[k]
                switch kinds[Int(byte)] {
                case TagByte.ordinary: break
                case TagByte.end: if quote == 0 { return k }
                case TagByte.quote: if quote == 0 { quote = byte } else if byte == quote { quote = 0 }
                case TagByte.equals:
                    if quote == 0 { attributes += 1 }
                    if attributes > Self.maxAttributes { return nil }
                default: return nil
                }
                k += 1
            }
            return nil
        }
    }

    /// What a byte does in a tag, for `plainTagEnd`.
    private enum TagByte {
        static let ordinary: UInt8 = 0, end: UInt8 = 1, quote: UInt8 = 2, needsRepair: UInt8 = 3, equals: UInt8 = 4
    }

    private static let tagByteKinds: [UInt8] = (0...255).map { (value: Int) -> UInt8 in
        let byte = UInt8(value)
        if byte == UInt8(ascii: ">") { return TagByte.end }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return TagByte.quote }
        if byte == UInt8(ascii: "=") { return TagByte.equals }
        if byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || isControl(byte) { return TagByte.needsRepair }
        return TagByte.ordinary
    }

    /// Handles `&`. Returns bytes consumed, or nil when more input is needed to decide.
    ///
    /// Feeds that escape their HTML hold a reference every few words (`&lt;p&gt;`), so the
    /// common ones are matched on the bytes in place: no array, string or number text made.
    ///
    /// In an element's text (`asText`), the reference is written as the character it stands
    /// for, inside a CDATA section (see `openSection`); in an attribute value, or before the
    /// root element, as a numeric reference.
    private mutating func reference(_ input: UnsafeBufferPointer<UInt8>, at i: Int, isLast: Bool, asText: Bool,
                                    into output: inout ByteBuffer) -> Int? {
        // `&lt;`, `&gt;` and `&amp;` in text, read in place first: a feed that escapes its HTML
        // holds one every few words.
        if asText, let (character, length) = Self.escapedMarkup(input, at: i) {
            appendCharacter(character, into: &output)
            return length
        }
        let maxLength = 40
        var j = i + 1
        var terminated = false
        while j < input.count && j - i <= maxLength {
            let byte = input[j]
            if byte == UInt8(ascii: ";") { terminated = true; break }
            let isNameByte = (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "#") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
            if !isNameByte { break }
            j += 1
        }
        if !terminated && j >= input.count && !isLast && j - i <= maxLength { return nil }

        let name = UnsafeBufferPointer(rebasing: input[(i + 1)..<j])
        guard terminated, !name.isEmpty else {
            if asText { appendCharacter(0x26, into: &output) } else { output.append(contentsOf: Self.ampReference) }
            note("bare '&'")
            return 1
        }
        let consumed = name.count + 2
        if name[0] == UInt8(ascii: "#") {
            if let scalar = Self.numericValue(name), Self.isXMLChar(scalar) {
                // `&#146;` in feeds means windows-1252's ’, not a C1 control character.
                let meant = Windows1252.c1Replacement(scalar) ?? scalar
                if asText { appendCharacter(meant, into: &output) } else { Self.appendCharacterReference(meant, to: &output) }
            } else {
                if asText { appendCharacter(0xFFFD, into: &output) } else { output.append(contentsOf: Self.replacementReference) }
                note("invalid character reference &\(String(decoding: name, as: UTF8.self));")
            }
            return consumed
        }
        if let predefined = Self.predefinedCharacter(named: name) {
            if asText { appendCharacter(predefined, into: &output) } else { output.append(contentsOf: Self.numericReference(ofPredefined: predefined)) }
            return consumed
        }
        let text = String(decoding: name, as: UTF8.self)
        if let value = LibXML2.htmlEntity(named: text) {
            if asText { appendCharacter(value, into: &output) } else { Self.appendCharacterReference(value, to: &output) }
            note("undeclared entity &\(text);")
        } else {
            if asText {
                appendCharacter(0x26, into: &output)
                appendText(name, into: &output)
                appendText(UInt8(ascii: ";"), into: &output)
            } else {
                output.append(contentsOf: Self.ampReference)
                output.append(name)
                output.append(UInt8(ascii: ";"))
            }
            note("unknown entity &\(text);")
        }
        return consumed
    }

    private static let gtReference = Array("&#62;".utf8)
    private static let quotReference = Array("&#34;".utf8)
    private static let aposReference = Array("&#39;".utf8)
    private static let replacementReference = Array("&#65533;".utf8)

    /// The character of one of XML's five entities (`amp`, `lt`, `gt`, `quot`, `apos`), read
    /// from its name in place; HTML-to-text reads them the same way.
    /// The character and length of `&lt;`, `&gt;` or `&amp;` at `i`, compared as a word.
    @inline(__always)
    private static func escapedMarkup(_ input: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int)? {
        guard i + 5 <= input.count, let base = input.baseAddress else { return nil }
        // Bytes 1 to 4 after the `&`, the first in the low byte.
        let word = UInt32(littleEndian: UnsafeRawPointer(base + i + 1).loadUnaligned(as: UInt32.self))
        switch word & 0x00FF_FFFF {
        case 0x3B_74_6C: return (0x3C, 4)  // "lt;"
        case 0x3B_74_67: return (0x3E, 4)  // "gt;"
        default: return word == 0x3B_70_6D_61 ? (0x26, 5) : nil  // "amp;"
        }
    }

    static func predefinedCharacter(named name: UnsafeBufferPointer<UInt8>) -> UInt32? {
        func isName(_ word: StaticString) -> Bool {
            word.utf8CodeUnitCount == name.count && memcmp(word.utf8Start, name.baseAddress!, name.count) == 0
        }
        switch name.count {
        case 2: return isName("lt") ? 0x3C : isName("gt") ? 0x3E : nil
        case 3: return isName("amp") ? 0x26 : nil
        case 4: return isName("quot") ? 0x22 : isName("apos") ? 0x27 : nil
        default: return nil
        }
    }

    /// The numeric reference written for a predefined entity's character in an attribute
    /// value (an array only there: in text, where nearly all references are, the character
    /// is written, and returning the array with it was a retain and a release each).
    private static func numericReference(ofPredefined character: UInt32) -> [UInt8] {
        switch character {
        case 0x3C: ltReference
        case 0x3E: gtReference
        case 0x26: ampReference
        case 0x22: quotReference
        default: aposReference
        }
    }

    // MARK: - Text written as characters, in a CDATA section

    /// Why a section: feeds escape their HTML (`&lt;p&gt;` every few words), and libxml2 hands
    /// over the text between two references, and each reference's character, as events of
    /// their own, each one more piece for the tree to join. Written as characters in a CDATA
    /// section, a description is one event. The characters are the same either way, but a
    /// carriage return, which a section would read as a line feed (XML's line ends), stays a
    /// reference, outside the section.
    private mutating func openSection(into output: inout ByteBuffer) {
        guard !inSection else { return }
        output.append(contentsOf: Self.sectionStart)
        inSection = true
        sectionBrackets = 0
    }

    private mutating func closeSection(into output: inout ByteBuffer) {
        guard inSection else { return }
        output.append(contentsOf: Self.cdataEnd)
        inSection = false
    }

    private static let sectionStart = Array("<![CDATA[".utf8)
    /// `]]>` inside a section: the section ends after `]]` and a new one holds the `>`.
    private static let sectionSplit = Array("]]><![CDATA[".utf8)

    /// A character of an element's text, in the section (opened for it).
    private mutating func appendCharacter(_ value: UInt32, into output: inout ByteBuffer) {
        if value == 0x0D {
            closeSection(into: &output)
            Self.appendCharacterReference(value, to: &output)
            return
        }
        openSection(into: &output)
        if value < 0x80 {
            appendText(UInt8(value), into: &output)
        } else {
            appendNonASCII(value, into: &output)
        }
    }

    /// A character from U+0080 up, as UTF-8: a scalar the caller checked (an XML character),
    /// whose bytes are never `]` or `>`.
    private mutating func appendNonASCII(_ value: UInt32, into output: inout ByteBuffer) {
        if value < 0x800 {
            output.append(UInt8(0xC0 | (value >> 6)))
        } else if value < 0x10000 {
            output.append(UInt8(0xE0 | (value >> 12)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        } else {
            output.append(UInt8(0xF0 | (value >> 18)))
            output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        }
        output.append(UInt8(0x80 | (value & 0x3F)))
        sectionBrackets = 0
    }

    /// Bytes of text: as they are, or, in an open section, with any `]]>` split.
    private mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout ByteBuffer) {
        guard inSection else { output.append(bytes); return }
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count, let found = memchr(base + start, Int32(UInt8(ascii: ">")), bytes.count - start) {
            let k = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let before = UnsafeBufferPointer(rebasing: bytes[start..<k])
            output.append(before)
            if Self.brackets(endingWith: before, after: sectionBrackets) >= 2 { output.append(contentsOf: Self.sectionSplit) }
            output.append(UInt8(ascii: ">"))
            sectionBrackets = 0
            start = k + 1
        }
        let rest = UnsafeBufferPointer(rebasing: bytes[start...])
        output.append(rest)
        sectionBrackets = Self.brackets(endingWith: rest, after: sectionBrackets)
    }

    private mutating func appendText(_ byte: UInt8, into output: inout ByteBuffer) {
        if inSection {
            if byte == UInt8(ascii: ">") {
                if sectionBrackets >= 2 { output.append(contentsOf: Self.sectionSplit) }
                sectionBrackets = 0
            } else {
                sectionBrackets = byte == UInt8(ascii: "]") ? min(2, sectionBrackets + 1) : 0
            }
        }
        output.append(byte)
    }

    /// How many `]` (up to two) end `bytes`, counting those before it when it is all `]`.
    private static func brackets(endingWith bytes: UnsafeBufferPointer<UInt8>, after before: Int) -> Int {
        var count = 0
        while count < 2, count < bytes.count, bytes[bytes.count - 1 - count] == UInt8(ascii: "]") { count += 1 }
        return count == bytes.count ? min(2, before + count) : count
    }

    /// `&#N;` in decimal, written straight into the output.
    private static func appendCharacterReference(_ value: UInt32, to output: inout ByteBuffer) {
        output.append(UInt8(ascii: "&"))
        output.append(UInt8(ascii: "#"))
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0)  // up to 1114111
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for k in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[k]) }
        }
        output.append(UInt8(ascii: ";"))
    }

    private static func numericValue(_ name: UnsafeBufferPointer<UInt8>) -> UInt32? {
        // name starts with "#"
        let digits = name.dropFirst()
        guard let first = digits.first else { return nil }
        let hex = first == UInt8(ascii: "x") || first == UInt8(ascii: "X")
        let body = hex ? digits.dropFirst() : digits
        guard !body.isEmpty, body.count <= 8 else { return nil }
        var value: UInt32 = 0
        for byte in body {
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value * (hex ? 16 : 10) + digit  // at most 8 hex digits: fits in 32 bits
        }
        return value
    }

    private static func isXMLChar(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }
}
