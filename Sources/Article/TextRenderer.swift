/// Writes nodes out as text: block elements become paragraphs (separated by a blank line),
/// `<br>` a line break, table cells a space; white space inside a paragraph collapses.
enum TextRenderer {
    static func render(_ nodes: [Int], of tree: PageTree, title: String?) -> String {
        var builder = Builder()
        for node in nodes { write(node, of: tree, into: &builder) }
        var paragraphs = builder.finish()
        // The headline is the title, not the first paragraph of the body.
        if let title, let first = paragraphs.first, normalised(first) == normalised(title) {
            paragraphs.removeFirst()
        }
        return paragraphs.joined(separator: "\n\n")
    }

    /// True when a block's text ends a sentence (`.`, `!`, `?`, or their CJK forms).
    static func endsSentence(_ node: Int, of tree: PageTree) -> Bool {
        var builder = Builder()
        write(node, of: tree, into: &builder)
        guard let last = builder.finish().last?.last else { return false }
        return ".!?。！？…\"”»".contains(last)
    }

    private static func normalised(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil })
    }

    private static func write(_ node: Int, of tree: PageTree, into builder: inout Builder) {
        if tree.isText(node) {
            tree.withText(node) { builder.append($0) }
            return
        }
        let flags = tree.flags(node)
        if flags.contains(.lineBreak) {
            builder.lineBreak()
            return
        }
        if flags.contains(.cell) { builder.space() }
        let isBlock = flags.contains(.breaking)
        if isBlock { builder.paragraphBreak() }
        var child = tree.firstChild(node)
        while child != PageTree.none {
            write(child, of: tree, into: &builder)
            child = tree.next(child)
        }
        if isBlock { builder.paragraphBreak() }
    }

    /// Text accumulated paragraph by paragraph, white space collapsed as it arrives.
    struct Builder {
        private var paragraphs: [String] = []
        private var current = ""
        private var pendingSpace = false

        /// Appends text with its white space collapsed (ASCII white space, no-break and
        /// ideographic spaces), working on runs of bytes rather than on characters.
        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            var i = 0
            while i < bytes.count {
                let width = UTF8Space.width(bytes, at: i)
                if width > 0 {
                    pendingSpace = true
                    i += width
                    continue
                }
                var end = i + 1
                while end < bytes.count && UTF8Space.width(bytes, at: end) == 0 { end += 1 }
                if pendingSpace, let last = current.utf8.last, last != 0x0A { current.append(" ") }
                pendingSpace = false
                current.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self))
                i = end
            }
        }

        mutating func space() { pendingSpace = true }

        mutating func lineBreak() {
            if !current.isEmpty && current.last != "\n" { current.append("\n") }
            pendingSpace = false
        }

        mutating func paragraphBreak() {
            while current.last == "\n" { current.removeLast() }
            if !current.isEmpty { paragraphs.append(current) }
            current = ""
            pendingSpace = false
        }

        mutating func finish() -> [String] {
            paragraphBreak()
            return paragraphs
        }
    }
}

/// White space as the extractor counts it, on UTF-8 bytes: ASCII white space, the no-break
/// space and the ideographic space (Chinese pages indent with it).
enum UTF8Space {
    /// The length in bytes of the white space at `index`; 0 when there is none.
    static func width(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let byte = bytes[index]
        if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { return 1 }
        if byte == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0xA0 { return 2 }
        if byte == 0xE3, index + 2 < bytes.count, bytes[index + 1] == 0x80, bytes[index + 2] == 0x80 { return 3 }
        return 0
    }
}
