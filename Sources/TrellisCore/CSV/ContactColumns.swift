/// The contact columns of HubSpot and Mailchimp exports, and the traits they map to.
///
/// Headers are matched ignoring case, spaces and punctuation, so "Email Address", "email_address"
/// and "EMAIL ADDRESS" are one column. Columns not listed become traits under a snake_case name.
public enum ContactColumns {
    /// What a column means.
    public enum Meaning: Sendable, Equatable {
        case trait(String)
        case stage
        case owner
        case optInTime
        case confirmTime
        case optInIP
        case unsubscribeTime
        case tags
        case ignored
    }

    /// Normalized header → meaning. HubSpot first, then Mailchimp's upper-case names.
    static let known: [String: Meaning] = [
        "email": .trait("email"), "emailaddress": .trait("email"), "email1": .trait("email"), "emailaddr": .trait("email"),
        "firstname": .trait("firstName"), "fname": .trait("firstName"), "givenname": .trait("firstName"),
        "lastname": .trait("lastName"), "lname": .trait("lastName"), "surname": .trait("lastName"),
        "company": .trait("company"), "companyname": .trait("company"), "associatedcompany": .trait("company"), "organization": .trait("company"),
        "jobtitle": .trait("title"), "title": .trait("title"),
        "phonenumber": .trait("phone"), "phone": .trait("phone"), "mobilephonenumber": .trait("mobile"),
        "country": .trait("country"), "countryregion": .trait("country"), "cc": .trait("country_code"),
        "stateregion": .trait("state"), "state": .trait("state"), "region": .trait("region"),
        "city": .trait("city"), "industry": .trait("industry"), "websiteurl": .trait("website"), "website": .trait("website"),
        "numberofemployees": .trait("employees"), "employees": .trait("employees"), "companysize": .trait("employees"),
        "timezone": .trait("timezone"), "leadstatus": .trait("lead_status"), "recordid": .trait("hubspot_record_id"),
        "originalsource": .trait("original_source"), "memberrating": .trait("mailchimp_rating"),
        "lifecyclestage": .stage, "contactowner": .owner, "owner": .owner, "hubspotowner": .owner,
        "optintime": .optInTime, "confirmtime": .confirmTime, "optinip": .optInIP, "confirmip": .optInIP, "unsubtime": .unsubscribeTime,
        "tags": .tags,
        "leid": .ignored, "euid": .ignored, "lastchanged": .ignored, "gmtoff": .ignored, "dstoff": .ignored, "latitude": .ignored,
        "longitude": .ignored, "createdate": .ignored, "lastactivitydate": .ignored, "notes": .trait("notes"),
    ]

    public static func normalize(_ header: String) -> String {
        String(header.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(Character.init))
    }

    public static func meaning(of header: String) -> Meaning {
        let key = normalize(header)
        if let meaning = known[key] { return meaning }
        if key.isEmpty { return .ignored }
        return .trait(snakeCase(header))
    }

    static func snakeCase(_ header: String) -> String {
        var result = ""
        var lastWasSeparator = true
        for scalar in header.trimmed.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                lastWasSeparator = false
            } else if !lastWasSeparator {
                result.append("_")
                lastWasSeparator = true
            }
        }
        while result.hasSuffix("_") { result.removeLast() }
        return result
    }

    /// The columns `trellis export contacts` writes: HubSpot's export names, so the file goes
    /// straight back into HubSpot, Mailchimp or Trellis.
    public static let exportHeaders = [
        "Email", "First Name", "Last Name", "Company", "Job Title", "Lifecycle Stage", "Phone Number", "Country/Region", "State/Region",
        "City", "Industry", "Number of Employees", "Website URL", "Time Zone", "Contact owner", "Create Date", "Last Activity Date",
        "Email Consent", "Email Consent Date",
    ]

    static let exportTraits = ["firstName", "lastName", "company", "title"]
    static let exportTraitsAfterStage = ["phone", "country", "state", "city", "industry", "employees", "website", "timezone"]

    /// A contact as an export row, in ``exportHeaders`` order.
    public static func exportRow(_ contact: Contact) -> [String] {
        func trait(_ key: String) -> String {
            guard let value = contact.traits[key] else { return "" }
            if let text = value.identifierValue { return text }
            if case .bool(let flag) = value { return flag ? "true" : "false" }
            return value.jsonText
        }
        var row = [contact.email ?? ""]
        row += exportTraits.map(trait)
        row.append(contact.stage?.hubSpotLabel ?? "")
        row += exportTraitsAfterStage.map(trait)
        row.append(contact.owner ?? "")
        row.append(contact.firstSeen.iso8601)
        row.append(contact.lastSeen.iso8601)
        row.append(contact.consent.email?.status.rawValue ?? "")
        row.append(contact.consent.email?.recordedAt.iso8601 ?? "")
        return row
    }
}
