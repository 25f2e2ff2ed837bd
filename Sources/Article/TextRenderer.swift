/// Writes nodes out as text: block elements become paragraphs (separated by a blank line),
/// `<br>` a line break, table cells a space; white space inside a paragraph collapses.
enum TextRenderer {
    static func render(_ nodes: [PageNode], title: String?) -> String {
        var builder = Builder()
        for node in nodes { write(node, into: &builder, depth: 0) }
        var paragraphs = builder.finish()
        // The headline is the title, not the first paragraph of the body.
        if let title, let first = paragraphs.first, normalised(first) == normalised(title) {
            paragraphs.removeFirst()
        }
        return paragraphs.joined(separator: "\n\n")
    }

    /// True when a block's text ends a sentence (`.`, `!`, `?`, or their CJK forms).
    static func endsSentence(_ node: PageNode) -> Bool {
        var builder = Builder()
        write(node, into: &builder, depth: 0)
        guard let last = builder.finish().last?.last else { return false }
        return ".!?。！？…\"”»".contains(last)
    }

    private static func normalised(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil })
    }

    private static let breaking = BodyExtractor.blockTags.union(["br", "body", "html"])

    private static func write(_ node: PageNode, into builder: inout Builder, depth: Int) {
        if node.isText {
            builder.append(node.text)
            return
        }
        switch node.tag {
        case "br":
            builder.lineBreak()
            return
        case "td", "th":
            builder.space()
        default:
            break
        }
        let isBlock = breaking.contains(node.tag)
        if isBlock { builder.paragraphBreak() }
        for child in node.children { write(child, into: &builder, depth: depth + 1) }
        if isBlock { builder.paragraphBreak() }
    }

    /// Text accumulated paragraph by paragraph, white space collapsed as it arrives.
    struct Builder {
        private var paragraphs: [String] = []
        private var current = ""
        private var pendingSpace = false

        mutating func append(_ text: String) {
            for scalar in text.unicodeScalars {
                if scalar.properties.isWhitespace {
                    pendingSpace = true
                } else {
                    if pendingSpace, let last = current.unicodeScalars.last, last != "\n" { current.unicodeScalars.append(" ") }
                    pendingSpace = false
                    current.unicodeScalars.append(scalar)
                }
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
