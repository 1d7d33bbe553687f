"""The vocabulary `iris seed` writes with, most common first (the order is the frequency rank).

Function words lead, as in real English text; full-text search drops them as stop words. Content
words follow: generic tracker words first, then technical nouns, then rarer verbs, adjectives and
nouns.
"""

FUNCTION_WORDS = """
the to and a of in is it for on when not with that this we be after from are as at but or by was
an if can should it's so all no now still our some does has into only than them then there they
""".split()

CONTENT_WORDS = (
    """
error user page fails issue request update data customer works broken time server test report
fix change new need app version release api login problem results support check email field list
file form message team build payment order code account button setting service status shows
response missing seems open screen open list load display create different view search slow
timeout access production staging mobile browser network event option process question feature
""".split()
    + """
account alert api archive audit backup badge banner billing board branch browser bucket budget build
cache calendar campaign card cart certificate channel chart checkout client cluster column comment config
connection console container contract cookie coupon cron customer dashboard database deadline debug
dependency deploy deployment design device dialog disk dns docker document domain download draft driver
email endpoint engine error event export feature feed field file filter firewall flag font footer form
gateway graph grid header health helm hook host icon image import incident index install integration
invoice job kernel key label latency layout ledger license link linter load locale lock log login logout
mail manifest map memory menu merge message metric migration mobile model module monitor network
notification onboarding order package page parser partner password patch payment permission pipeline
plan plugin policy pool portal price printer profile proxy query queue quota rate release report
repository request review role rollback router runner sandbox scanner schedule schema script search
secret server service session setting shipment signup sitemap snapshot socket sprint storage stream
subscription survey table tag task template tenant test theme thread ticket timeout token tooltip
tracker traffic translation trigger upload user vendor version video volume wallet warehouse webhook
widget wiki window worker workflow
""".split()
    + """
retry crash hang freeze spike drop leak overflow mismatch regression outage delay lag glitch typo
warning exception stacktrace traceback panic deadlock race fallback workaround hotfix backport bug
customer reported steps reproduce expected actual attached screenshot logs trace repro environment
happens sometimes always never randomly intermittently twice again since yesterday today morning
week month quarter release candidate nightly weekly daily hourly minute second hour day night
returns throws shows hides loads saves sends receives creates deletes updates breaks ignores skips
blocks allows prevents rejects accepts redirects renders crashes hangs retries times slows stops
wrong empty blank duplicate stale expired invalid corrupt partial truncated garbled unreadable
large small huge tiny long short high low first last next previous old current default custom
internal external public private shared local remote primary secondary readonly writable
admin owner guest member viewer editor reviewer approver manager operator developer designer
android ios windows linux macos chrome firefox safari edge tablet desktop laptop phone watch
postgres mysql redis kafka rabbitmq elasticsearch nginx apache kubernetes terraform ansible
jenkins github gitlab bitbucket jira slack teams zoom stripe paypal twilio sendgrid okta auth0
oauth saml sso ldap jwt csrf cors tls ssl https http grpc graphql rest websocket json xml csv
yaml toml pdf png jpeg svg gif zip tar gzip utf unicode emoji timezone daylight leap locale
currency tax discount refund chargeback invoice receipt quote estimate forecast budget payroll
inventory stock sku barcode label carrier tracking parcel pallet container freight customs
appointment booking reservation calendar reminder invitation attendee organizer venue seat
course lesson quiz grade student teacher classroom enrollment certificate transcript semester
patient doctor clinic prescription insurance claim visit referral record consent allergy dose
article post draft author editor publish headline caption thumbnail gallery album playlist
""".split()
    + """
accessibility contrast keyboard shortcut focus tab scroll zoom resize drag drop hover click tap
swipe gesture modal popup toast snackbar drawer sidebar navbar breadcrumb pagination carousel
accordion stepper wizard checkbox radio dropdown select slider toggle switch spinner progress
skeleton placeholder avatar chip pill divider tooltip popover overlay backdrop animation transition
throughput bandwidth concurrency parallelism idempotency consistency durability availability
replication sharding partition failover election quorum consensus heartbeat lease fencing
compaction vacuum reindex analyze explain planner optimizer statistics histogram cardinality
benchmark profiler flamegraph sampling tracing span exporter collector agent sidecar daemon
cronjob scheduler dispatcher consumer producer publisher subscriber broker topic offset backlog
batch chunk buffer window watermark checkpoint savepoint transaction isolation serializable
encryption decryption hashing salt signature verification rotation revocation expiry renewal
vulnerability exploit injection xss ssrf phishing spam abuse fraud ban suspension appeal audit
compliance gdpr hipaa soc retention deletion anonymization export consent cookie tracking pixel
analytics funnel cohort retention churn conversion attribution campaign segment experiment variant
rollout canary bluegreen toggle killswitch flagging gradual percentage cohort allowlist denylist
""".split()
    + """
annoying confusing misleading unclear inconsistent unexpected surprising odd weird strange
critical urgent blocker major minor trivial cosmetic nice optional required mandatory deprecated
obsolete experimental beta alpha preview stable final frozen locked pinned archived hidden
visible disabled enabled active inactive pending approved rejected cancelled completed started
paused resumed queued scheduled delayed overdue late early fast faster slower quick instant
rename move copy merge split combine group sort order rank filter limit paginate cache memoize
validate sanitize escape encode decode parse format serialize deserialize compress decompress
migrate upgrade downgrade rollback deploy provision scale shrink grow resize restart reboot
configure tune adjust tweak clean prune purge rotate archive restore recover backup replicate
notify alert page escalate acknowledge resolve close reopen assign unassign mention subscribe
invite remove ban unban verify confirm approve reject review comment reply quote edit delete
""".split()
    + """
apple banana cherry harbor lighthouse meadow orchard canyon glacier volcano desert island
river mountain valley forest prairie tundra savanna lagoon reef delta estuary fjord plateau
falcon eagle heron sparrow pelican flamingo penguin otter beaver badger ferret lynx panther
jaguar cheetah gazelle bison moose walrus narwhal dolphin octopus squid lobster crab shrimp
copper silver golden bronze iron cobalt nickel zinc titanium platinum mercury neon argon
saturn jupiter venus mars pluto neptune uranus comet meteor nebula quasar pulsar galaxy orbit
violet indigo crimson scarlet amber ivory ebony azure teal magenta maroon olive beige khaki
""".split()
)


# dict.fromkeys drops repeats and keeps first places, i.e. each word's highest rank.
CONTENT = list(dict.fromkeys(CONTENT_WORDS))
VOCABULARY = list(dict.fromkeys(FUNCTION_WORDS + CONTENT))
