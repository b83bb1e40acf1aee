# Bot messages for authors and moderators. Every key must also exist in ru/bot.ftl.

welcome =
    Hello, { $name }! I take post suggestions for the channel.
    Send text, a photo, video, GIF, document, audio or a voice message — albums work too.
    The moderators will review it and I will tell you what they decided.
help =
    To suggest a post, just send it here: text, media with a caption, or an album.
    /status — your recent submissions and their state
    /language — the language I answer in
    /help — this help
receipt = Submission #{ $id } received and waiting for moderation.
receipt-edited = Submission #{ $id } updated: the moderators will see the new version.
edit-too-late = Submission #{ $id } has already been reviewed — the edit was not applied.
edit-rate-limited = Too many edits at once: this change was not applied. Edit the message again in { $seconds } s.
not-supported = I can't take this kind of message. Send text, a photo, video, GIF, document, audio or a voice message.
banned = You can't suggest posts: the moderators have restricted your access.
rate-limited = Too many at once. Try again in { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }.
too-many-pending = You already have { $count ->
        [one] { $count } submission
       *[other] { $count } submissions
    } waiting for moderation. Please wait for a decision on them.
try-later = Something went wrong on our side and nothing was saved. Please try again a little later.
status-empty = You have no submissions yet.
status-header = Your recent submissions ({ $count ->
        [one] { $count } submission
       *[other] { $count } submissions
    } in all):
status-line = #{ $id } from { $date } — { $status }
status-pending = waiting for moderation
status-approved = approved, coming soon
status-published = published
status-publish_failed = approved, publishing delayed
status-rejected = rejected
language-choose = Choose the language I answer in:
language-set = Done: I will answer in English now.
published = Your submission #{ $id } has been published.
published-link = Your submission #{ $id } has been published: { $link }
rejected = Your submission #{ $id } was rejected. Reason: { $reason }
reject-reason-spam = spam or advertising
reject-reason-off-topic = off-topic for this channel
reject-reason-duplicate = already posted
reject-reason-rules = breaks the channel's rules
reject-reason-low-quality = low-quality text or media
pending-count = { $count ->
        [one] { $count } submission
       *[other] { $count } submissions
    }

# Moderation group
card-title = Submission #{ $id }
card-author = Author: { $name } { $username } (id { $user_id })
card-signed = ✍️ Signed by the author
card-anonymous = 🙈 Anonymous
card-history = Before: { $approved } approved, { $rejected } rejected
card-edited = ✏️ The author edited this submission
card-duplicate = ⚠️ The same media was already in submission #{ $id }
card-decided-approved = ✅ Approved by { $moderator }, { $time }
card-decided-rejected = ❌ Rejected by { $moderator }, { $time }. Reason: { $reason }
card-decided-banned = 🚫 Author banned by { $moderator }, { $time }
card-publish-failed = ⚠️ Publishing failed: { $error }
card-cut = ✂️ Cut to fit Telegram: { $shown } of { $total } characters shown. Press “Show all” to read the whole text before approving, or open it in the console.
card-links = 🔗 Where the links in the text lead:
card-link = • { $name } → { $link }
card-links-more = … and { $count } more links: press “Show all”.
card-whole = 📄 The whole text of submission #{ $id } ({ $total } characters):
button-approve = ✅ Approve
button-reject = ❌ Reject
button-ban = 🚫 Ban author
button-back = ↩️ Back
button-retry = 🔁 Retry publishing
button-show-all = 📄 Show all
not-a-moderator = Only moderators can do this.
already-decided = Already decided by { $moderator }.
decision-saved = Done.
decision-saving = Saving… the database is unreachable; the decision is applied as soon as it is back.
decision-saving-busy = Saving… the card shows the result in a moment.
decision-unreachable = Database unreachable — nothing was changed. Please try again.
callback-invalid = This button has expired.
post-changed = The author changed this post — look again.
show-all-first = This card shows only part of the post: press “Show all” and read it before approving.
claimed-by-other = { $moderator } is reviewing this submission right now.

## First-run setup (the setup-only bot answers `/setup CODE`)
setup-group-accepted = ✅ Done: this group is now PostGate's moderation group. Go back to the setup screen to choose the channel.
setup-code-wrong = ❌ Wrong code. Check the six digits on the setup screen and send /setup CODE again.
setup-code-expired = ⌛ This code has expired. The setup screen shows a new one: send /setup with it.
setup-code-missing = Send /setup followed by the six-digit code the setup screen shows, e.g. /setup 123456.
setup-in-private-chat = Send /setup CODE in the moderation group, not here: add me to the group first.

# Publishing schedule: when an approved post goes out.
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
when = { $day } { $month } at { $time }
card-scheduled = 🗓 To be published on { $when }
scheduled = Your submission #{ $id } was approved and will be published on { $when }.
card-parked = ⏸ Approved, waiting for a publication time
button-publish-now = ▶️ Publish now
button-unschedule = ⏸ Unschedule
button-next-slot = 🗓 Next free slot
schedule-published-now = Sent to the channel.
schedule-unscheduled = Unscheduled: the post waits for a time.
schedule-slotted = Scheduled for { $when }.
schedule-stale = This post's time changed meanwhile: the card shows it now.
schedule-not-waiting = Too late: this post is already being published or was decided otherwise.
schedule-slot-taken = That time is taken by another post.
schedule-list-empty = Nothing is scheduled.
schedule-list-header = 🗓 Next scheduled posts:
schedule-list-line = { $when } — #{ $id } { $author }: { $excerpt }
## Statistics: /stats in the moderation group
stats-summary =
    📊 Last { $days } days ({ $from }–{ $to }, { $tz })
    Submitted: { $submitted } — published { $published }, approved and waiting { $approved }, pending { $pending }, rejected { $rejected }
    Decisions: { $decided }, { $rate }% approved
    Most decisions: { $moderator }
stats-nobody = nobody yet
stats-unavailable = Statistics are unavailable right now (the database did not answer). Try again later.
button-undo = ↩️ Undo
schedule-undone = Undone: the post is back in the queue.
schedule-undo-not-yours = Only the moderator who decided this post can undo it.
## Undo of a rejection
back-in-review = Your submission #{ $id } is back in review: its rejection was withdrawn.
## Author options: signed or anonymous (the toggle under the receipt)
signed-toggle-signed = ✍️ Signed
signed-toggle-anonymous = 🙈 Anonymous
signed-now-signed = Submission #{ $id } will be published with your name.
signed-now-anonymous = Submission #{ $id } will be published anonymously.
signed-not-yours = Only the author of this submission can change this.
signed-too-late = Submission #{ $id } is already published or closed: this can no longer be changed.
## Conversation with the author (issue #17 part 1): requests for changes, messages, withdrawal
thread-request =
    ✏️ Moderators ask you to change submission #{ $id }:
    «{ $quote }»

    { $text }

    Reply to this message with the corrected post (text, or a photo or video with a caption): it replaces the submission. To answer without changing it, just write a message. /withdraw { $id } withdraws the submission.
thread-message =
    💬 Moderators about submission #{ $id }:
    «{ $quote }»

    { $text }
button-withdraw = 🗑 Withdraw the submission
button-ask-changes = ✏️ Ask for changes
reject-reason-withdrawn = withdrawn by the author
reject-reason-no-answer = no answer to the moderators' request for changes
status-changes_requested = changes requested: see the moderators' message
card-changes-requested = ✏️ Changes requested by { $moderator }, { $time }: { $text }
card-author-answered = 💬 The author answered, { $time }: { $text }
thread-answer-received = 💬 Your answer about submission #{ $id } was passed to the moderators.
thread-revision-received = ✏️ Submission #{ $id } is updated and back in the queue.
withdraw-done = 🗑 Submission #{ $id } is withdrawn.
withdraw-not-found = You have no submission #{ $id } waiting for a decision.
withdraw-usage = Send /withdraw with the submission's number, for example: /withdraw 12
ask-changes-prompt = ✏️ #{ $id }: reply to this message with what to ask the author (they will not see who wrote).
ask-changes-sent = ✏️ Sent to the author of #{ $id }.
ask-changes-refused = Not sent: { $reason }
## The queue does not go stale (issue #17 part 3): the reminder in the group, the expiry
reject-reason-expired = it waited too long for a decision
stale-reminder = ⏳ { $count ->
        [one] { $count } submission has
       *[other] { $count } submissions have
    } waited longer than { $hours } h; the oldest, #{ $id }, for { $age }.
stale-fresh = ✅ The queue is fresh: no submission has waited longer than { $hours } h.
stale-age-days = { $days } d { $hours } h
stale-age-hours = { $hours } h
moderator-system = system

## Flags for a second look (issue #17 part 2): badges on the group card
card-flag-duplicate = 🔁 Looks like #{ $id } ({ $percent } %)
card-flag-stop-words = 🚫 Stop words: { $list }
card-flag-links = 🔗 Links ({ $count }): { $list }
card-flag-mentions = @ Mentions: { $list }
card-flag-phones = ☎️ Phones: { $list }
card-flag-forwarded = ↪️ Forwarded from { $origin }
card-flag-new-author = 🆕 New author
card-flag-rejections = ⛔ Rejected before: { $count }
card-flag-not-checked = ❔ Flags not checked
