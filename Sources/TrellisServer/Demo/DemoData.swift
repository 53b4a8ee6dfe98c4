/// Word lists for the demo store.
enum DemoData {
    static let consentText = "Yes, send me the guide and occasional emails about CRM migration. I can unsubscribe at any time."
    static let firstNames = [
        "Ava", "Ben", "Chloé", "Dmitri", "Elena", "Farah", "Gabriel", "Hana", "Ivan", "Jonas", "Keiko", "Liam", "Maya", "Noah", "Olivia",
        "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
    ]
    static let lastNames = [
        "Adams", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ito", "Jensen", "Kowalski", "Lopez", "Müller",
        "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Wang", "Young", "Zimmermann",
    ]
    static let titles = [
        "VP Marketing", "Marketing Operations Manager", "Head of Growth", "CRM Administrator", "Director of Sales Operations", "CTO",
        "Revenue Operations Lead", "Demand Generation Manager", "Marketing Coordinator", "Founder", "Software Engineer", "Student",
    ]
    static let companyNames = [
        "Northwind", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Analytics", "Acme Robotics", "Hooli", "Vandelay Imports",
        "Soylent Foods", "Cyberdyne Systems", "Tyrell Labs", "Wonka Retail", "Oceanic Air", "Massive Dynamic", "Aperture Science",
        "Blue Sun", "Gringotts Finance", "Monarch Media", "Pied Piper",
    ]
    static let industries = ["Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education", "Logistics", "Media"]
    static let places = [
        ("US", "America/New_York"), ("US", "America/Los_Angeles"), ("GB", "Europe/London"), ("DE", "Europe/Berlin"), ("FR", "Europe/Paris"),
        ("CA", "America/Toronto"), ("AU", "Australia/Sydney"), ("JP", "Asia/Tokyo"), ("BR", "America/Sao_Paulo"), ("IN", "Asia/Kolkata"),
    ]
    static let sources = ["google", "linkedin", "newsletter", "partner", "direct", "g2"]
    static let pages: [(name: String, path: String)] = [
        ("Home", "/"), ("Blog: CRM migration checklist", "/blog/crm-migration-checklist"), ("Features", "/features"),
        ("Customers", "/customers"), ("Blog: Lead scoring that sales trusts", "/blog/lead-scoring"), ("Integrations", "/integrations"),
        ("Pricing", "/pricing"),
    ]
}
