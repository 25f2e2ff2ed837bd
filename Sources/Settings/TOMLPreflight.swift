/// Checks the one shape of broken TOML that toml++ 3 (inside TOMLKit) does not report but
/// aborts the process on: a table header whose first key does not begin with a key character
/// or a quote (`[` alone on a line, `[# x]`, `[.a]`, `[=]`). Found by fuzzing; a typo in a
/// configuration file must be an error message, not a crash.
///
/// It reads just enough TOML to know where headers are: strings (all four kinds), comments,
/// and the brackets of array values, inside which a line may begin with `[`.
enum TOMLPreflight {
    /// The 1-based line of the first such header, if any.
    static func firstBadHeader(in source: String) -> Int? {
        let bytes = Array(source.utf8)
        var index = 0, line = 1, depth = 0
        var atLineStart = true
        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                atLineStart = true
                index += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "#"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString(bytes, &index, &line)
                atLineStart = false
                continue
            case UInt8(ascii: "[") where atLineStart && depth == 0:
                // A header: `[` or `[[`, optional blanks, then a key or a quote (or `]`).
                var next = index + 1
                if next < bytes.count && bytes[next] == UInt8(ascii: "[") { next += 1 }
                while next < bytes.count && (bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t")) { next += 1 }
                guard next < bytes.count, isKeyStart(bytes[next]) else { return line }
                // The rest of the header line cannot open a value's brackets.
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") {
                    if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                        skipString(bytes, &index, &line)
                    } else {
                        index += 1
                    }
                }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
            atLineStart = false
            index += 1
        }
        return nil
    }

    private static func isKeyStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// Moves past the string that starts at `index` (basic or literal, single- or multi-line);
    /// an unterminated one runs to the end of its line (or of the input, if multi-line).
    private static func skipString(_ bytes: [UInt8], _ index: inout Int, _ line: inout Int) {
        let quote = bytes[index]
        let triple = index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote
        index += triple ? 3 : 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") { line += 1 }
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\n") {
                if !triple { return }
                line += 1
            }
            if byte == quote {
                if !triple { index += 1; return }
                if index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote {
                    index += 3
                    // Up to two more quotes may close a multi-line string (`""""`).
                    while index < bytes.count && bytes[index] == quote { index += 1 }
                    return
                }
            }
            index += 1
        }
    }
}
