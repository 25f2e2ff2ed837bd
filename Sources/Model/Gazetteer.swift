import Foundation

/// Names the fact extractor looks for: exercises, places and countries, each with the
/// spellings it goes by. Shipped in the configuration as general knowledge of the domain.
public struct Gazetteer: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var aliases: [String]
        /// When a mention of the name counts: names that are also everyday words count only
        /// in some writings.
        public enum Counting: Sendable, Equatable {
            /// Every mention.
            case always
            /// Only with a year after it ("Ocean-2024"): names that are ordinary words
            /// ("Ocean", "Center").
            case withYear
            /// Only written with a capital or with a year after it: "Joint Sea", not "joint
            /// sea and air patrols".
            case asNameOrWithYear
            /// Only written as a name (capitalised after a word that is not), with a year
            /// after it or with a drill word near it: "a peace mission to Moscow and Kyiv" is
            /// no exercise.
            case asNameWithYearOrNearDrillWord
            /// Only with a year after it and a drill word near it: names that are everyday
            /// words in every language and often take a year ("Cooperation 2019", of a forum).
            case withYearNearDrillWord
        }
        public var counting: Counting
        /// For exercises: a series China and Russia hold (or join) together. The gazetteer also
        /// names other series (Joint Sword, Zapad) so that they are recognised as such.
        public var joint: Bool
        /// For a joint series China joins only some years of (Russia's Vostok: 2018 and 2022,
        /// not 2010 or 2014): those years. A year up to the last one listed and not in the list
        /// is another exercise; a later year is not known yet, so it counts as joint. Empty:
        /// every year.
        public var jointYears: [Int]
        /// For places: the country the place is in (Vladivostok: Russia); nil for seas.
        public var country: String?
        /// For places: the gazetteer's larger places this one lies in or on (Vladivostok:
        /// Primorye, Peter the Great Bay, the Sea of Japan): a report naming the port and one
        /// naming its sea name places that overlap.
        public var within: [String]

        public init(name: String, aliases: [String] = [], counting: Counting = .always,
                    joint: Bool = true, jointYears: [Int] = [], country: String? = nil, within: [String] = []) {
            self.name = name
            self.aliases = aliases
            self.counting = counting
            self.joint = joint
            self.jointYears = jointYears
            self.country = country
            self.within = within
        }
    }

    public var exercises: [Entry]
    public var places: [Entry]
    public var countries: [Entry]

    public init(exercises: [Entry] = [], places: [Entry] = [], countries: [Entry] = []) {
        self.exercises = exercises
        self.places = places
        self.countries = countries
    }
}
