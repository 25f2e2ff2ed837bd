import Foundation
import Testing
@testable import Feeds

@Suite struct Dates {
    @Test(arguments: [
        ("Mon, 15 Jul 2024 06:00:00 +0300", "2024-07-15T03:00:00Z"),
        ("15 Jul 2024 06:00 MSK", "2024-07-15T03:00:00Z"),
        ("Monday, 15 July 2024 06:00:00 GMT", "2024-07-15T06:00:00Z"),
        ("2024-07-15T06:00:00+08:00", "2024-07-15T T".isEmpty ? "" : "2024-07-14T22:00:00Z"),
        ("2024-07-15", "2024-07-15T00:00:00Z"),
        ("20240715T060000Z", "2024-07-15T06:00:00Z"),
        ("Tue, 16 Jul 2024 9:05:01 PM EDT", "2024-07-17T01:05:01Z"),
        ("2024/07/15 06:00:00", "2024-07-15T06:00:00Z"),
    ])
    func parses(input: String, expected: String) {
        #expect(FeedDate.parse(input).map(FeedDate.format) == expected)
    }

    @Test(arguments: ["", "yesterday", "Mon, 32 Jul 2024 06:00:00 GMT", "2024-13-01", "2024-02-30", "12:00"])
    func rejects(input: String) {
        #expect(FeedDate.parse(input) == nil)
    }

    /// Read from an element's bytes, a date is the one its string gives: the canonical forms in
    /// place, the rest through the string (padding, other forms, non-ASCII, a wrong day).
    @Test(arguments: [
        "Sat, 01 Jun 2024 11:20:47 GMT", " Sat, 01 Jun 2024 11:20:47 +0300\n", "Sat, 01 Jun 2024 11:20:47 -0000",
        "Fri, 01 Jun 2024 11:20:47 GMT", "Sat, 01 Jun 2024 25:20:47 GMT", "Sat, 01 Jun 2024 11:20:47 EST",
        "2024-07-15T06:00:00Z", "\t2024-07-15T06:00:00.123+08:00 ", "2024-07-15T06:00:00", "2024-07-15",
        "\u{A0}2024-07-15T06:00:00Z", "2024年7月15日", "15 июля 2024", "Τρι, 16 Ιούλ 2024 09:05:01 +0300", "", "  ",
        "Mon, 15 Jul 2024 06:00:00 +0300", "20240715T060000Z", "Tue, 16 Jul 2024 9:05:01 PM EDT",
    ])
    func bytesGiveTheStringsDate(input: String) {
        let fromBytes = Array(input.utf8).withUnsafeBufferPointer(FeedDate.parse)
        #expect(fromBytes == FeedDate.parse(input), "\(input)")
    }

    /// Numeric zone offsets, read byte by byte: colons anywhere after the sign, two or four
    /// ASCII digits, hours to 23 and minutes to 59.
    @Test(arguments: [
        ("Z", 0), ("z", 0), ("+08", 28_800), ("+0800", 28_800), ("-08:00", -28_800), ("+05:30", 19_800),
        ("-0:9:3:0", -34_200), ("+23:59", 86_340),
    ] as [(String, Int)])
    func readsNumericOffsets(text: String, seconds: Int) {
        #expect(FeedDate.parseNumericOffset(text) == seconds)
    }

    @Test(arguments: ["", "+", "08:00", "+8", "+080", "+08:00:00", "+24:00", "+08:60", "+０８:00", "+08a0", "ZZ", "+-0800"])
    func refusesMalformedOffsets(text: String) {
        #expect(FeedDate.parseNumericOffset(text) == nil)
    }

    @Test func formatsAnyYear() {
        #expect(FeedDate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(FeedDate.format(FeedDate.make(year: 99, month: 12, day: 31, hour: 23)!) == "0099-12-31T23:00:00Z")
    }

    /// The common RSS form is read by a fast path; it must agree with the general reading
    /// (reached here by a doubled space) on every field, including the ones it refuses.
    @Test func canonicalFormAgreesWithTheGeneralReading() {
        var generator = SystemRandomNumberGenerator()
        let days = ["Mon", "tue", "WED", "Thu", "Fri", "Sat", "Sun", "Xyz"]
        let months = ["Jan", "feb", "MAR", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo"]
        let zones = ["+0000", "-0530", "+1400", "+2460", "GMT", "gmt", "EST", "+00:0"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        for _ in 0..<2_000 {
            let day = days.randomElement(using: &generator)!
            let month = months.randomElement(using: &generator)!
            let zone = zones.randomElement(using: &generator)!
            let date = "\(two(Int.random(in: 0...32, using: &generator))) \(month) \(Int.random(in: 1890...2100, using: &generator))"
            let time = "\(two(Int.random(in: 0...24, using: &generator))):\(two(Int.random(in: 0...60, using: &generator))):\(two(Int.random(in: 0...61, using: &generator)))"
            let canonical = "\(day), \(date) \(time) \(zone)"
            let spaced = "\(day),  \(date) \(time) \(zone)"
            #expect(FeedDate.parse(canonical) == FeedDate.parse(spaced), "\(canonical)")
        }
    }
}
