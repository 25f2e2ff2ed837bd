import Daemon
import Foundation
import Settings
import Store
import Testing

@Suite struct DigestSchedule {
    func settings(zone: String, time: String) throws -> Settings {
        try Settings.parse("[digest]\ntime = \"\(time)\"\ntime_zone = \"\(zone)\"\n", file: URL(fileURLWithPath: "/tmp/x.toml"))
    }

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func firstStartWritesNothingOld() async throws {
        let store = try SQLiteStore.inMemory()
        let settings = try settings(zone: "Europe/Berlin", time: "07:00")
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-10T12:00:00Z")).isEmpty)
        // The next morning, yesterday's digest is due.
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-11T06:30:00Z")) == ["2031-03-10"])
    }

    @Test func catchesUpMissedDays() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markDigestWritten(day: "2031-03-05")
        let settings = try settings(zone: "Asia/Tokyo", time: "06:00")
        // 2031-03-09 22:00 UTC is 2031-03-10 07:00 in Tokyo: the 9th's digest is due too.
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-09T22:00:00Z"))
            == ["2031-03-06", "2031-03-07", "2031-03-08", "2031-03-09"])
    }

    @Test func beforeTheDigestTimeYesterdayWaits() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markDigestWritten(day: "2031-03-08")
        let settings = try settings(zone: "UTC", time: "07:00")
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-10T06:59:00Z")).isEmpty)
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-10T07:00:00Z")) == ["2031-03-09"])
    }

    @Test func daylightSavingChangeKeepsLocalDays() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markDigestWritten(day: "2031-03-29")
        // Europe/Berlin moves to summer time on 2031-03-30; the digest at 07:00 local is 05:00 UTC on the 31st.
        let settings = try settings(zone: "Europe/Berlin", time: "07:00")
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-31T04:59:00Z")).isEmpty)
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-31T05:00:00Z")) == ["2031-03-30"])
    }

    /// The wall clock is corrected forward across midnight and several days: every missed day
    /// is caught up once; then it is set back: nothing is written again.
    @Test func clockJumpsForwardAndBack() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markDigestWritten(day: "2031-03-08")
        let settings = try settings(zone: "UTC", time: "07:00")
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-09T23:30:00Z")).isEmpty)
        let jumped = try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-12T08:00:00Z"))
        #expect(jumped == ["2031-03-09", "2031-03-10", "2031-03-11"])
        for day in jumped { try await store.markDigestWritten(day: day) }
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-10T08:00:00Z")).isEmpty)
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-12T09:00:00Z")).isEmpty)
    }

    /// A digest time that does not exist on the day clocks go forward (02:30 in Berlin on
    /// 2031-03-30) still comes, and one that happens twice when they go back comes once.
    @Test func digestTimeInsideADaylightSavingGap() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.markDigestWritten(day: "2031-03-28")
        let settings = try settings(zone: "Europe/Berlin", time: "02:30")
        // 00:59 UTC is 01:59 CET, before the gap.
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-30T00:59:00Z")).isEmpty)
        // 01:31 UTC is 03:31 CEST, after it.
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-03-30T01:31:00Z")) == ["2031-03-29"])

        try await store.markDigestWritten(day: "2031-10-24")
        // 2031-10-26 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-10-26T00:31:00Z")) == ["2031-10-25"])
        try await store.markDigestWritten(day: "2031-10-25")
        #expect(try await DigestService.dueDays(settings: settings, store: store, now: date("2031-10-26T01:31:00Z")).isEmpty)
    }
}
