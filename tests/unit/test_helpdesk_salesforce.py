"""Salesforce Outbound Messages: batch limits, XML safety, record types and the Ack."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from ticket_sentiment.helpdesks import ACK_CONTENT_TYPE, AuthError, BadPayload, ack_response
from ticket_sentiment.helpdesks.salesforce import MAX_NOTIFICATIONS, parse_envelope, to_18

from .helpdesk_support import deliver, fixture

OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5g000004XmplEAC</OrganizationId>
   <ActionId>04k5g000000XmplAAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example-widgets.my.salesforce.com/services/Soap/c/60.0/00D5g000004Xmpl</EnterpriseUrl>
   <PartnerUrl>https://example-widgets.my.salesforce.com/services/Soap/u/60.0/00D5g000004Xmpl</PartnerUrl>
"""
TAIL = "  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n"


def email_notification(i: int, incoming: bool = True, status: str = "0", sobject: str = "EmailMessage") -> str:
    return f"""   <Notification>
    <Id>04l5g00000N{i:06d}A</Id>
    <sObject xsi:type="sf:{sobject}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>02s5g00000E{i:06d}A</sf:Id>
     <sf:ParentId>5005g00000C{i % 7:06d}A</sf:ParentId>
     <sf:Incoming>{str(incoming).lower()}</sf:Incoming>
     <sf:Status>{status}</sf:Status>
     <sf:MessageDate>2025-03-14T08:{i % 60:02d}:00.000Z</sf:MessageDate>
     <sf:Subject>Message {i}</sf:Subject>
     <sf:TextBody>Customer message number {i}: still broken.</sf:TextBody>
    </sObject>
   </Notification>
"""


def envelope(*notifications: str) -> bytes:
    return (HEAD + "".join(notifications) + TAIL).encode()


def test_one_hundred_notifications() -> None:
    result = deliver("salesforce", envelope(*(email_notification(i) for i in range(MAX_NOTIFICATIONS))))
    assert len(result.events) == 100
    assert len({e.event_id for e in result.events}) == 100
    assert {e.ticket_id for e in result.events} == {f"5005g00000C{i:06d}A" for i in range(7)}
    assert "<Ack>true</Ack>" in result.response.body


def test_more_than_one_hundred_notifications_is_malformed() -> None:
    with pytest.raises(BadPayload, match="more than 100"):
        parse_envelope(envelope(*(email_notification(i) for i in range(MAX_NOTIFICATIONS + 1))))


def test_drafts_and_unsupported_types_are_skipped() -> None:
    result = deliver(
        "salesforce",
        envelope(
            email_notification(1, status="5"),
            email_notification(2, sobject="Task"),
            email_notification(3, incoming=False),
        ),
    )
    assert [e.message_id for e in result.events] == ["02s5g00000E000003A"]
    assert [s.reason for s in result.skipped] == ["draft e-mail", "sObject type Task is not supported"]


@pytest.mark.parametrize(
    "attack",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        "<!doctype html>",
        '<! ENTITY x "y">',
    ],
)
def test_dtds_and_entities_are_refused(attack: str) -> None:
    body = fixture("salesforce_case.xml").replace(b"<soapenv:Envelope", attack.encode() + b"\n<soapenv:Envelope", 1)
    with pytest.raises(BadPayload, match="DOCTYPE or ENTITY"):
        parse_envelope(body)
    with pytest.raises(AuthError):  # and before authentication it is simply not authenticated
        deliver("salesforce", body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<a/>",
        b"<soapenv:Envelope xmlns:soapenv='x'/>",
        b"\xff\xfe<a/>",
        b"<Envelope><Body><notifications/></Body></Envelope>",
        b"not xml",
    ],
)
def test_malformed_envelopes(body: bytes) -> None:
    with pytest.raises(BadPayload):
        parse_envelope(body)


def test_invalid_incoming_flag_is_bad_payload() -> None:
    body = envelope(email_notification(1)).replace(b"<sf:Incoming>true", b"<sf:Incoming>maybe")
    with pytest.raises(BadPayload, match="Incoming"):
        deliver("salesforce", body)


def test_ack_response_is_the_outbound_message_ack() -> None:
    root = ET.fromstring(ack_response())
    assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
    ack = root.find(f".//{{{OUTBOUND}}}notificationsResponse/{{{OUTBOUND}}}Ack")
    assert ack is not None
    assert ack.text == "true"
    assert ACK_CONTENT_TYPE.startswith("text/xml")


def test_to_18_matches_salesforce_checksum() -> None:
    assert to_18("5005g00000XmplC") == "5005g00000XmplCAAR"
    assert to_18("001000000000000") == "001000000000000AAA"
    assert to_18("5005g00000XmplCAAR") == "5005g00000XmplCAAR"
