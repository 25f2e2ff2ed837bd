import Foundation
import XML

/// Parses the dates feeds actually contain: RFC 822 and its real-world variants (missing
/// day names, two-digit years, full month names, US and European zone abbreviations,
/// `GMT+hh:mm`), RFC 3339 / ISO 8601 / W3C-DTF (including reduced and ordinal forms),
/// asctime, and a few localised formats seen in the wild (Greek, Hungarian, Korean).
/// Anything not a valid date gives nil rather than a guess.
public enum FeedDate {
    public static func parse(_ input: String) -> Date? {
        let text = input.trimmedWhitespace
        // No date takes 100 characters (a UTF-8 byte count, as no character takes fewer bytes).
        guard !text.isEmpty, text.utf8.count < 400 else { return nil }
        // On the contiguous bytes: the view's own iterator cost 800 instructions a date.
        let isASCII = text.utf8.withContiguousStorageIfAvailable { !$0.contains { $0 >= 0x80 } }
            ?? text.utf8.allSatisfy { $0 < 0x80 }
        // Characters counted only when some take several bytes (counting walks graphemes).
        guard (isASCII ? text.utf8.count : text.count) < 100 else { return nil }
        if !isASCII, let korean = parseKorean(text) { return korean }
        let translated = isASCII ? text : translateLocalNames(text)
        if let first = translated.utf8.first, (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-"),
           let iso = parseISO8601(translated) {
            return iso
        }
        return parseRFC822(translated)
    }

    /// The same for UTF-8 bytes: the forms nearly every feed writes (RFC 3339, RFC 822 as
    /// `Sat, 01 Jun 2024 11:20:47 GMT`) read in place, as `parse` would read them first; any
    /// other text is read as a string. An entry's dates were a string each before.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if text.count < 100, let first = text.first, !text.contains(where: { $0 >= 0x80 }) {
            let isoFirst = (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-")
            if let date = isoFirst ? parseRFC3339(text) : parseCanonicalRFC822(text) { return date }
        }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form drillwatch writes everywhere.
    public static func format(_ date: Date) -> String {
        let seconds = Int(floor(date.timeIntervalSince1970))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = civil(fromDays: days)
        let year = String(y).count < 4 ? String(repeating: "0", count: 4 - String(y).count) + String(y) : String(y)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, any year)

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A validated date; `offset` is the zone's offset from UTC in seconds. Years outside
    /// 1–9999 are refused: no feed means them, and the arithmetic below would overflow.
    static func make(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, offset: Int = 0) -> Date? {
        guard (1...9999).contains(year), (1...12).contains(month), abs(offset) <= 86400, day >= 1, day <= daysInMonth(year: year, month: month),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let total = days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return Date(timeIntervalSince1970: TimeInterval(total))
    }

    private static func expandYear(_ year: Int, digits: Int) -> Int {
        digits <= 2 ? 2000 + year : year
    }

    // MARK: - ISO 8601 / W3C-DTF

    private static let isoPatterns: [(NSRegularExpression, String)] = [
        // Calendar date with optional time: 2003-12-31T10:14:55.1234Z, 2003-012-31, 2004-07-08 23:56:58 -00:20
        (#"^(\d{4})(?:-(\d{1,3})(?:-(\d{1,2}))?)?(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$"#, "ymd"),
        (#"^(\d{4})(\d{2})(\d{2})(?:T(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$"#, "ymd"),
        (#"^-(\d{2})-?(\d{2})$"#, "yym"),
        (#"^(\d{2})-?(\d{2})-?(\d{2})$"#, "yymmdd"),
        (#"^(\d{2})(\d{3})$"#, "yyddd"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    /// The common RFC 3339 shape, `2024-07-15T06:00:00(.123)?(Z|+03:00)`, read from the
    /// string's bytes in place, without a regular expression (Atom feeds carry several per
    /// entry; a copy of the bytes and a string for the offset were most of reading one).
    static func parseRFC3339(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parseRFC3339)
    }

    private static func parseRFC3339(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for index in from..<(from + count) {
                let digit = Int(b[index]) - 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
        }
        guard i < b.count, let offset = numericOffset(UnsafeBufferPointer(rebasing: b[i...])) else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    static func parseISO8601(_ text: String) -> Date? {
        if let date = parseRFC3339(text) { return date }
        let range = NSRange(text.startIndex..., in: text)
        for (regex, kind) in isoPatterns {
            guard let match = regex.firstMatch(in: text, range: range) else { continue }
            func group(_ i: Int) -> String? {
                let r = match.range(at: i)
                guard r.location != NSNotFound, let swiftRange = Range(r, in: text) else { return nil }
                return String(text[swiftRange])
            }
            func number(_ i: Int) -> Int? { group(i).flatMap { Int($0) } }
            switch kind {
            case "ymd":
                guard let year = number(1) else { return nil }
                let offset = group(7).map(parseNumericOffset) ?? 0
                guard let offset else { return nil }
                return make(year: year, month: number(2) ?? 1, day: number(3) ?? 1,
                            hour: number(4) ?? 0, minute: number(5) ?? 0, second: number(6) ?? 0, offset: offset)
            // `\d` also matches non-ASCII digits, which `Int` refuses: every number is checked.
            case "yym":
                guard let year = number(1), let month = number(2) else { return nil }
                return make(year: expandYear(year, digits: 2), month: month, day: 1)
            case "yymmdd":
                guard let year = number(1), let month = number(2), let day = number(3) else { return nil }
                return make(year: expandYear(year, digits: 2), month: month, day: day)
            case "yyddd":
                guard let twoDigitYear = number(1), let ordinal = number(2) else { return nil }
                let year = expandYear(twoDigitYear, digits: 2)
                let length = daysInMonth(year: year, month: 2) == 29 ? 366 : 365
                guard (1...length).contains(ordinal) else { return nil }
                let (y, m, d) = civil(fromDays: days(year: year, month: 1, day: 1) + ordinal - 1)
                return make(year: y, month: m, day: d)
            default:
                return nil
            }
        }
        return nil
    }

    /// `Z`, `+08`, `+0800`, `-08:00` → seconds east of UTC; nil when malformed or out of range.
    static func parseNumericOffset(_ text: String) -> Int? {
        var text = text
        return text.withUTF8(numericOffset)
    }

    /// The same from UTF-8 bytes, read byte by byte, colons anywhere after the sign skipped:
    /// every item's date passes here.
    private static func numericOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if bytes.count == 1, bytes[0] == UInt8(ascii: "Z") || bytes[0] == UInt8(ascii: "z") { return 0 }
        guard let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        var number = 0, count = 0
        for byte in bytes.dropFirst() where byte != UInt8(ascii: ":") {
            guard byte >= 0x30 && byte <= 0x39, count < 4 else { return nil }
            number = number * 10 + Int(byte) - 0x30
            count += 1
        }
        guard count == 2 || count == 4 else { return nil }
        let hours = count == 4 ? number / 100 : number
        let minutes = count == 4 ? number % 100 : 0
        guard hours <= 23, minutes <= 59 else { return nil }
        let value = hours * 3600 + minutes * 60
        return sign == UInt8(ascii: "-") ? -value : value
    }

    // MARK: - RFC 822 and relatives

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Zone abbreviations, in hours east of UTC. The single-letter US forms (ET, CT…) and
    /// European summer names (MEST, CEST) appear in real feeds.
    private static let zones: [String: Double] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "etc/gmt": 0, "etc/utc": 0, "wet": 0, "bst": 1,
        "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
        "at": -4, "et": -5, "ct": -6, "mt": -7, "pt": -8, "akst": -9, "akdt": -8, "hst": -10,
        "ast": -4, "adt": -3, "nst": -3.5, "ndt": -2.5,
        "met": 1, "mest": 2, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "msk": 3, "msd": 4,
        "ist": 5.5, "jst": 9, "kst": 9, "hkt": 8, "sgt": 8, "awst": 8, "acst": 9.5, "aest": 10, "aedt": 11,
        "nzst": 12, "nzdt": 13,
    ]

    private static func isASCIIDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Runs of bytes between spaces, tabs and commas, ASCII lower-cased.
    private static func rfc822Tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ",") {
                if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
        }
        if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
        return tokens
    }

    static func parseRFC822(_ text: String) -> Date? {
        if let date = parseCanonicalRFC822(text) { return date }
        var tokens = rfc822Tokens(text)
        guard !tokens.isEmpty else { return nil }
        if let first = tokens.first, dayNames.contains(String(first.prefix(3))), first.allSatisfy(\.isLetter) {
            tokens.removeFirst()
        }
        var day: Int?, month: Int?, year: Int?
        var hour = 0, minute = 0, second = 0, offset = 0
        var sawTime = false, sawZone = false

        for token in tokens {
            if token.utf8.contains(UInt8(ascii: "/")) && token.utf8.first.map(isASCIIDigit) == true {
                // Perforce: 2006/09/15
                let parts = token.split(separator: "/").compactMap { Int($0) }
                guard parts.count == 3 else { return nil }
                (year, month, day) = (parts[0], parts[1], parts[2])
            } else if token.utf8.contains(UInt8(ascii: ":")) && token.utf8.first.map(isASCIIDigit) == true && !sawTime {
                // Digits are ASCII digits: `Character.isNumber` also accepts "4" with a
                // combining mark or a Devanagari digit, which `Int` then refuses.
                let parts = token.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
                guard (2...3).contains(parts.count), parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(isASCIIDigit) })
                else { return nil }
                let values = parts.map { $0.reduce(0) { $0 * 10 + Int($1 - 0x30) } }
                hour = values[0]
                minute = values[1]
                second = values.count == 3 ? values[2] : 0
                sawTime = true
            } else if let index = months.firstIndex(of: String(token.prefix(3))), token.allSatisfy(\.isLetter), month == nil {
                month = index + 1
            } else if !token.isEmpty && token.utf8.allSatisfy(isASCIIDigit) {
                guard let value = Int(token) else { return nil }
                if token.count >= 3 {
                    guard year == nil else { return nil }
                    year = value
                } else if day == nil {
                    day = value
                } else if year == nil {
                    year = expandYear(value, digits: token.count)
                } else {
                    return nil
                }
            } else if token == "am" || token == "pm" {
                // "02:02:33 PM" (seen in NBC's feeds).
                guard sawTime, (1...12).contains(hour) else { return nil }
                if token == "pm" && hour < 12 { hour += 12 }
                if token == "am" && hour == 12 { hour = 0 }
            } else if let zone = parseZone(token), !sawZone {
                offset = zone
                sawZone = true
            } else {
                return nil
            }
        }
        guard let day, let month, let year else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    /// `Sat, 01 Jun 2024 11:59:11 +0000` (or `GMT`), the form nearly every RSS feed writes,
    /// read from bytes in place; anything else (and any doubt) goes to the general reading
    /// above, which gives the same date for this form.
    private static func parseCanonicalRFC822(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parseCanonicalRFC822)
    }

    private static func parseCanonicalRFC822(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count == 29 || b.count == 31, b[3] == UInt8(ascii: ","), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20,
              b[16] == 0x20, b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), b[25] == 0x20
        else { return nil }
        func lower(_ i: Int) -> UInt32 { UInt32(b[i] | 0x20) }
        func three(_ i: Int) -> UInt32 { lower(i) << 16 | lower(i + 1) << 8 | lower(i + 2) }
        func digits(_ i: Int, _ n: Int) -> Int? {
            var value = 0
            for k in i..<(i + n) {
                guard isASCIIDigit(b[k]) else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            return value
        }
        guard canonicalDayNames.contains(three(0)), let month = canonicalMonths.firstIndex(of: three(8)),
              let day = digits(5, 2), let year = digits(12, 4), let hour = digits(17, 2),
              let minute = digits(20, 2), let second = digits(23, 2)
        else { return nil }
        let offset: Int
        if b.count == 29 {
            guard three(26) == packed("gmt") else { return nil }
            offset = 0
        } else {
            guard b[26] == UInt8(ascii: "+") || b[26] == UInt8(ascii: "-"), let hours = digits(27, 2),
                  let minutes = digits(29, 2), hours <= 23, minutes <= 59
            else { return nil }
            offset = (b[26] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        return make(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    /// Three ASCII letters as one number, for comparing names without making strings.
    private static func packed(_ word: String) -> UInt32 {
        word.utf8.prefix(3).reduce(0) { $0 << 8 | UInt32($1) }
    }
    private static let canonicalDayNames = dayNames.map(packed)
    private static let canonicalMonths = months.map(packed)

    private static func parseZone(_ token: String) -> Int? {
        if let hours = zones[token] { return Int(hours * 3600) }
        if token.first == "+" || token.first == "-" { return parseNumericOffset(token) }
        for prefix in ["gmt", "utc", "ut"] where token.hasPrefix(prefix) {
            let rest = String(token.dropFirst(prefix.count))
            if rest.first == "+" || rest.first == "-" { return parseNumericOffset(rest) }
        }
        return nil
    }

    // MARK: - Localised forms

    private static let localMonths: [String: String] = [
        // Greek
        "Ιαν": "Jan", "Φεβ": "Feb", "Μάώ": "Mar", "Μάρ": "Mar", "Μαρ": "Mar", "Απρ": "Apr", "Μάι": "May", "Μαϊ": "May",
        "Μαι": "May", "Ιούν": "Jun", "Ιον": "Jun", "Ιούλ": "Jul", "Ιολ": "Jul", "Αύγ": "Aug", "Αυγ": "Aug",
        "Σεπ": "Sep", "Οκτ": "Oct", "Νοέ": "Nov", "Νοε": "Nov", "Δεκ": "Dec",
        "Κυρ": "Sun", "Δευ": "Mon", "Τρι": "Tue", "Τετ": "Wed", "Πεμ": "Thu", "Παρ": "Fri", "Σαβ": "Sat",
        // Hungarian, as numbers inside ISO dates
        "január": "01", "február": "02", "március": "03", "április": "04", "május": "05", "június": "06",
        "július": "07", "augusztus": "08", "szeptember": "09", "október": "10", "november": "11", "december": "12",
    ]

    private static func translateLocalNames(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 0x7F }) else { return text }
        var result = text
        for (local, english) in localMonths where result.contains(local) {
            result = result.replacingOccurrences(of: local, with: english)
        }
        // Hungarian ISO dates write single-digit hours: 2004-07-13T9:15-05:00.
        if let range = result.range(of: #"T(\d):"#, options: .regularExpression) {
            result.replaceSubrange(range, with: "T0" + result[range].dropFirst())
        }
        return result
    }

    /// Korean blog platforms: `2004-05-25 오후 11:23:17` and `2004년 05월 28일 01:31:15`, in KST.
    private static func parseKorean(_ text: String) -> Date? {
        guard text.contains("년") || text.contains("오전") || text.contains("오후") else { return nil }
        let numbers = text.split(whereSeparator: { !($0.isASCII && $0.isNumber) }).compactMap { Int($0) }
        guard numbers.count == 6 else { return nil }
        var hour = numbers[3]
        if text.contains("오후") && hour < 12 { hour += 12 }
        if text.contains("오전") && hour == 12 { hour = 0 }
        return make(year: numbers[0], month: numbers[1], day: numbers[2], hour: hour,
                    minute: numbers[4], second: numbers[5], offset: 9 * 3600)
    }
}
