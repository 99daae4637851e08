"""Synthetic support-register training sentences, written for this project.

General sentiment sets are tweets and reviews; helpdesk complaints are often polite
("I'm still waiting for my refund") and often end in "thanks". These templates teach
the encoder that register. They are used for TRAINING ONLY: the support evaluation
set (`training/data/support_eval.csv`) was written separately with other wording.
"""

from __future__ import annotations

import random

ORDERS = ["#48213", "order 99120", "ORD-5531", "invoice INV-2207", "order #7781", "case 00123456", "ticket 5512"]
FEATURES = [
    "the mobile app",
    "the dashboard",
    "my account",
    "the CSV export",
    "the invoice page",
    "two-factor login",
    "the API",
    "checkout",
    "calendar sync",
    "email notifications",
    "the billing portal",
    "single sign-on",
    "the search",
    "file uploads",
    "the desktop client",
    "the payment page",
    "the reporting module",
    "the Android app",
    "the iOS app",
    "the integration with Slack",
    "password reset",
]
DAYS = ["two days", "three days", "five days", "a week", "ten days", "two weeks", "three weeks", "a month"]
WHEN = ["this morning", "yesterday", "last night", "Monday", "the last update", "two hours ago", "the weekend"]
NTH = ["third", "fourth", "fifth", "second", "sixth"]
MONEY = ["$49", "€120", "£35.99", "$1,249.00", "$12.50", "€9.99", "$300"]

OPENERS = ["", "", "Hi, ", "Hello, ", "Hi team, ", "Hello support, ", "Hey, ", "Good morning, ", "Dear support, "]
POLITE_CLOSERS = [
    "",
    "",
    " Thanks.",
    " Thank you.",
    " Regards.",
    " Please advise.",
    " Thanks in advance.",
    " Kind regards.",
    " Cheers.",
]
NEG_EMOJI = ["", "", "", "", " 😡", " 😤", " 🙄", " 😞", " 😠", " :("]
POS_EMOJI = ["", "", "", " 🙏", " 😊", " 👍", " 🎉", " :)", " ❤️"]

NEGATIVE = [
    "I'm still waiting for my refund for {order}.",
    "This is the {nth} time I'm writing about this.",
    "This is my {nth} email about the same problem.",
    "I was charged twice for my subscription this month.",
    "You charged me {money} after I cancelled.",
    "{feature} has been down since {when} and our team can't work.",
    "{feature} stopped working after {when}.",
    "I can't log in to my account and the reset link never arrives.",
    "Nobody has replied to my ticket in {days}.",
    "It has been {days} and there is still no resolution.",
    "Your last update broke {feature}.",
    "I was promised a callback and never got one.",
    "We are losing sales because {feature} keeps failing.",
    "Honestly I'm very disappointed with the support so far.",
    "Please cancel my subscription, this is not working for us.",
    "The parcel shows as delivered but I never received it.",
    "Why was I billed {money} when I'm on the free plan?",
    "I've followed every step in your guide and it still doesn't work.",
    "This is unacceptable.",
    "I keep getting error 500 when I open {feature}.",
    "Every time I contact you I have to explain everything again.",
    "I was told this would be fixed {when}, it isn't.",
    "Still no refund for {order}. I'm running out of patience.",
    "{feature} is so slow it's unusable.",
    "We've lost all our data after the sync, this is a disaster.",
    "I'd like to escalate this, the answers I get don't help.",
    "The agent closed my ticket without fixing anything.",
    "I've been on hold for an hour.",
    "Your chatbot keeps sending me in circles.",
    "The item arrived damaged and nobody answers my emails.",
    "I'm considering moving to a competitor if this isn't sorted.",
    "Can someone actually look at this? It has been {days}.",
    "I still haven't received the replacement for {order}.",
    "My card was declined twice but the money was taken anyway.",
    "The invoice amount is wrong again.",
    "We pay {money} a month and {feature} doesn't work.",
    "I'm locked out of my account and I have a deadline today.",
    "The refund you promised {when} never arrived.",
    "Not happy with how this has been handled.",
    "I don't understand why this is taking so long.",
    "Same issue as last week, nothing has changed.",
    "You told me to wait {days}. I waited. Nothing.",
    "This bug is costing us customers.",
    "The tracking number you sent doesn't work.",
    "I've reinstalled {feature} three times and it still crashes.",
    "My subscription renewed even though I turned off auto-renew.",
    "Please stop sending me marketing emails, I unsubscribed twice.",
    "The outage {when} cost us a full day of work.",
]
SARCASTIC = [
    "Great, another outage. Just what I needed on a Monday.",
    "Thanks for nothing.",
    "Love waiting on hold for an hour, really.",
    "Wow, {days} for a refund. Amazing service.",
    "Fantastic, {feature} is broken again.",
    "Oh great, the update deleted my settings. Brilliant.",
    "Thanks a lot for closing my ticket without reading it.",
    "Nice to see {feature} is down for the third time this week.",
    "Perfect, charged twice. Love it.",
    "Sure, I'll just wait another {days}, no problem at all.",
]
NEUTRAL = [
    "How do I export my invoices as CSV?",
    "Can you tell me where to change my billing address?",
    "Please update the email address on my account.",
    "What are your support hours?",
    "I'd like to add two more seats to our plan.",
    "Is there an API endpoint to list {feature} events?",
    "Attached is the screenshot you asked for.",
    "Could you confirm the delivery date for {order}?",
    "We're planning to migrate next week, is there anything we should know?",
    "Where can I find the setting for {feature}?",
    "Do you offer an annual plan?",
    "Can I change the currency on my invoices?",
    "I'm sending the logs for {order} as requested.",
    "Please add my colleague as an admin.",
    "Which browsers do you support?",
    "Is {feature} available on the basic plan?",
    "I need a copy of the invoice for {order}.",
    "Can you reset the two-factor setup on my account?",
    "What is the limit on file uploads?",
    "Does {feature} work offline?",
    "Our finance team needs a W-9 form.",
    "Here is the order number: {order}.",
    "Ok.",
    "Sure, go ahead.",
    "Yes, that's the right account.",
    "I'll check with my manager and get back to you.",
    "Could you call me tomorrow afternoon instead?",
    "Please close this ticket.",
    "I have a question about the pricing of the team plan.",
    "How long does a refund usually take?",
    "When is the maintenance window scheduled?",
    "Is it possible to merge two accounts?",
    "Can I get a receipt with our VAT number on it?",
    "I'm testing {feature} for our team, how do I invite others?",
    "What's the difference between the pro and business plans?",
]
POSITIVE = [
    "Thanks, that fixed it!",
    "Great support, the issue is resolved.",
    "Really appreciate the quick reply.",
    "Works perfectly now, thank you so much.",
    "I love the new dashboard.",
    "The refund arrived today, thanks for sorting it out.",
    "You've been incredibly helpful.",
    "Amazing, {feature} works again.",
    "Thank you for going the extra mile.",
    "Everything is working now, you can close the ticket.",
    "Best support team I've dealt with.",
    "That was fast, thanks a lot!",
    "Perfect, exactly what I needed.",
    "Brilliant, thanks for the clear explanation.",
    "Happy with the solution, thank you.",
    "The new update made {feature} so much faster, great job.",
    "Much appreciated, have a nice day!",
    "Problem solved, many thanks.",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        order=rng.choice(ORDERS),
        feature=rng.choice(FEATURES),
        days=rng.choice(DAYS),
        when=rng.choice(WHEN),
        nth=rng.choice(NTH),
        money=rng.choice(MONEY),
    )


def _compose(body: str, rng: random.Random, emojis: list[str], closers: list[str]) -> str:
    text = rng.choice(OPENERS) + body + rng.choice(emojis) + rng.choice(closers)
    text = text.strip()
    if text and rng.random() < 0.15:
        text = text.lower()
    return text[0].upper() + text[1:] if text and text[0].islower() and rng.random() < 0.5 else text


def generate(n: int = 5000, seed: int = 13) -> list[tuple[str, str]]:
    """Return (text, label) pairs: ~45% negative, ~35% neutral, ~20% positive, de-duplicated."""
    rng = random.Random(seed)
    out: dict[str, str] = {}
    attempts = 0
    while len(out) < n and attempts < n * 20:
        attempts += 1
        r = rng.random()
        if r < 0.38:
            body = _fill(rng.choice(NEGATIVE), rng)
            if rng.random() < 0.3:  # complaints often come in pairs of sentences
                body += " " + _fill(rng.choice(NEGATIVE), rng)
            text, label = _compose(body, rng, NEG_EMOJI, POLITE_CLOSERS), "negative"
        elif r < 0.45:
            text, label = _compose(_fill(rng.choice(SARCASTIC), rng), rng, NEG_EMOJI, [""]), "negative"
        elif r < 0.80:
            text, label = _compose(_fill(rng.choice(NEUTRAL), rng), rng, [""], POLITE_CLOSERS), "neutral"
        else:
            text, label = _compose(_fill(rng.choice(POSITIVE), rng), rng, POS_EMOJI, ["", "", " Regards."]), "positive"
        out.setdefault(text, label)
    return list(out.items())
