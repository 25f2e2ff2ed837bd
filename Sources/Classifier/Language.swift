/// The languages drillwatch reads.
public enum Language: String, Sendable, CaseIterable {
    case en, ru, zh

    /// The language of an item from the scripts its letters are written in, or nil when it is
    /// none of the three, too short to tell, or mixed without a majority.
    ///
    /// Deterministic and one pass over the text. It cannot tell English from other
    /// Latin-script languages, nor Russian from other Cyrillic ones.
    public static func detect(title: String, body: String) -> Language? {
        var counts = ScriptCounts()
        counts.add(title)
        counts.add(body)
        return detect(counts)
    }

    /// The language the counts point to.
    ///
    /// One Han character weighs as three letters: a Chinese word is one or two characters, an
    /// English or Russian one five to seven letters, so "中俄“Joint Sea-2024”联合军演" stays
    /// Chinese and an English article quoting 习近平 stays English. The winner must hold more
    /// than half of the weight, and Chinese must not have kana or hangul beside its Han
    /// characters in more than a quoted name's share (that is Japanese or Korean).
    public static func detect(_ counts: ScriptCounts) -> Language? {
        let han = counts.han * 3, kanaHangul = counts.kanaHangul * 3
        let total = counts.latin + counts.cyrillic + han + kanaHangul + counts.otherLetters
        // Fewer than a short word's worth of letters says nothing ("2024", "俄").
        guard total >= 4 else { return nil }
        if counts.latin * 2 > total { return .en }
        if counts.cyrillic * 2 > total { return .ru }
        if han * 2 > total && kanaHangul * 5 < han { return .zh }
        return nil
    }
}

/// Which characters Chinese text was written in.
public enum HanScript: String, Sendable {
    /// Simplified (mainland China, Singapore).
    case hans
    /// Traditional (Taiwan, Hong Kong, Macau), folded to simplified by the analyzer.
    case hant

    /// Traditional when folding changed at least one Han character in ten: traditional text
    /// changes in a quarter to a third of its characters, simplified text in none or a name's.
    public static func detect(_ counts: ScriptCounts) -> HanScript? {
        guard counts.han > 0 else { return nil }
        return counts.hanFolded * 10 >= counts.han ? .hant : .hans
    }
}

/// Letters of text by script, for language detection.
public struct ScriptCounts: Sendable, Equatable {
    /// ASCII and accented Latin letters.
    public var latin = 0
    public var cyrillic = 0
    /// CJK unified ideographs (with extension A and compatibility ideographs).
    public var han = 0
    /// Japanese kana and Korean hangul.
    public var kanaHangul = 0
    /// Letters of any other script (Greek, Arabic, …).
    public var otherLetters = 0
    /// Han characters the analyzer's traditional → simplified folding changed.
    public var hanFolded = 0

    public init() {}

    mutating func add(_ text: String) {
        for scalar in text.unicodeScalars {
            if scalar.isASCII { addASCII(UInt8(scalar.value)) } else { add(scalar) }
        }
    }

    /// Counts an ASCII byte. (The analyzer counts a run of ASCII letters and digits itself,
    /// in the loop that reads the run.)
    @inline(__always)
    mutating func addASCII(_ byte: UInt8) {
        if (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A { latin += 1 }
    }

    /// The General Punctuation block (curly quotes, dashes, spaces): no letter, digit or mark
    /// in it, so the text's scalars there need no property lookup (1,500 instructions a
    /// quotation mark) to be told apart from words.
    static let generalPunctuation: ClosedRange<UInt32> = 0x2000...0x206F

    /// Counts a non-ASCII scalar.
    mutating func add(_ scalar: Unicode.Scalar) {
        switch scalar.value {
        case 0x0400...0x052F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F:
            cyrillic += 1
        case 0x00C0...0x00D6, 0x00D8...0x00F6, 0x00F8...0x024F, 0x1E00...0x1EFF:
            latin += 1
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3FFFF:
            han += 1
        case 0x3040...0x30FF, 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF:
            kanaHangul += 1
        case Self.generalPunctuation:
            break  // no letters, told without a lookup
        default:
            if scalar.properties.isAlphabetic { otherLetters += 1 }
        }
    }
}
