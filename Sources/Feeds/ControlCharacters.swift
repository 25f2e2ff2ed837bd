extension String {
    /// The string without C0 control characters (tab and line feed kept: text keeps its
    /// paragraphs; a carriage return becomes a line feed) and without C1 controls
    /// (U+0080–U+009F). ESC, CSI and OSC would otherwise reach a terminal or a log as commands.
    /// Bidi controls are not touched: they are legitimate in stored text.
    var withoutControlCharacters: String {
        guard Self.hasControlCharacters(utf8) else { return self }
        var kept = String.UnicodeScalarView()
        var afterCarriageReturn = false
        for scalar in unicodeScalars {
            defer { afterCarriageReturn = scalar == "\r" }
            switch scalar.value {
            case 0x0D: kept.append("\n")
            case 0x0A where afterCarriageReturn: continue
            case 0x09, 0x0A: kept.append(scalar)
            case 0x00..<0x20, 0x80...0x9F: continue
            default: kept.append(scalar)
            }
        }
        return String(kept)
    }

    /// `withoutControlCharacters` in place; a string without any (nearly all) is left as it is,
    /// not copied or reassigned.
    mutating func removeControlCharacters() {
        if Self.hasControlCharacters(utf8) { self = withoutControlCharacters }
    }

    /// In UTF-8, C0 controls are single bytes and C1 controls are C2 80…C2 9F (C2 also leads
    /// the no-break space and «», which Russian news is full of: those are kept).
    private static func hasControlCharacters(_ utf8: String.UTF8View) -> Bool {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            func isControl(at i: Int) -> Bool {
                let byte = bytes[i]
                if byte < 0x20 && byte != 0x09 && byte != 0x0A { return true }
                return byte == 0xC2 && i + 1 < bytes.count && bytes[i + 1] < 0xA0
            }
            var i = 0
            if let base = bytes.baseAddress {
                // Sixteen bytes a test, then eight: a block with no control below 0x20 (tab
                // and line feed are text) and no C2 (the lead byte of every C1 control) is
                // passed in one test — Cyrillic and CJK text too — and any other looked at
                // byte by byte.
                let space = SIMD16<UInt8>(repeating: 0x20), tab = SIMD16<UInt8>(repeating: 0x09)
                let lineFeed = SIMD16<UInt8>(repeating: 0x0A), c2 = SIMD16<UInt8>(repeating: 0xC2)
                while i + 16 <= bytes.count {
                    let block = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
                    let controls = (block .< space) .& (block .!= tab) .& (block .!= lineFeed)
                    if any(controls .| (block .== c2)) {
                        for k in i..<(i + 16) where isControl(at: k) { return true }
                    }
                    i += 16
                }
                while i + 8 <= bytes.count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let below = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
                    let c2 = word ^ 0xC2C2_C2C2_C2C2_C2C2
                    let hasC2 = (c2 &- 0x0101_0101_0101_0101) & ~c2 & 0x8080_8080_8080_8080
                    if below != 0 || hasC2 != 0 {
                        for k in i..<(i + 8) where isControl(at: k) { return true }
                    }
                    i += 8
                }
            }
            while i < bytes.count {
                if isControl(at: i) { return true }
                i += 1
            }
            return false
        }
        return utf8.withContiguousStorageIfAvailable(scan) ?? Array(utf8).withUnsafeBufferPointer(scan)
    }
}

extension FeedEntry {
    /// Every text field without control characters (see `String.withoutControlCharacters`),
    /// in place. Field by field, not through key paths, and nothing assigned where
    /// nothing changes: this runs for every entry read, and assigning every field of every
    /// entry (with a new array for the categories) was 4% of parsing.
    mutating func removeControlCharacters() {
        title?.removeControlCharacters()
        link?.removeControlCharacters()
        id?.removeControlCharacters()
        summarySource?.removeControlCharacters()
        contentSource?.removeControlCharacters()
        author?.removeControlCharacters()
        for index in enclosures.indices { enclosures[index].removeControlCharacters() }
        for index in categories.indices { categories[index].removeControlCharacters() }
        // `text` is not scanned: every reader makes it with `HTMLText`, whose output holds no
        // control character (it drops them as it reads), and it is most of an entry's bytes.
        key.removeControlCharacters()
    }
}

extension FeedInfo {
    /// Every text field without control characters (see `String.withoutControlCharacters`).
    func withoutControlCharacters() -> FeedInfo {
        var info = self
        for field in [\FeedInfo.title, \.link, \.subtitle, \.language] {
            info[keyPath: field] = info[keyPath: field]?.withoutControlCharacters
        }
        return info
    }
}
