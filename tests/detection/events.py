"""Minimal but faithful Lambda event shapes of each source, with a payload slot."""

from __future__ import annotations

import base64
import json
from typing import Any


def apigw_rest(query: str = "hello", body: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "resource": "/items", "path": "/items", "httpMethod": "POST",
        "headers": {"Host": "api.example.com", "User-Agent": "curl/8.0", "X-Amzn-Trace-Id": "Root=1-abc"},
        "multiValueHeaders": {"Host": ["api.example.com"], "User-Agent": ["curl/8.0"]},
        "queryStringParameters": {"q": query},
        "multiValueQueryStringParameters": {"q": [query]},
        "pathParameters": None, "stageVariables": {"stage": "prod"},
        "requestContext": {"resourcePath": "/items", "stage": "prod", "requestId": "c6af9ac6-7b61",
                           "identity": {"sourceIp": "10.0.0.1", "userAgent": "curl/8.0"},
                           "accountId": "123456789012"},
        "body": body, "isBase64Encoded": False, **extra,
    }


def apigw_http(query: str | None = None, body: Any = None, headers: dict[str, str] | None = None,
               **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "POST /items", "rawPath": "/items",
        "rawQueryString": f"q={query}" if query is not None else "",
        "headers": {"host": "api.example.com", "user-agent": "Mozilla/5.0", "content-type": "application/json",
                    **(headers or {})},
        "requestContext": {"accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.us-east-1.amazonaws.com",
                           "http": {"method": "POST", "path": "/items", "sourceIp": "10.0.0.1"},
                           "requestId": "JKJaXmPLvHcESHA=", "stage": "$default"},
        "isBase64Encoded": False, **extra,
    }
    if query is not None:
        event["queryStringParameters"] = {"q": query}
    if body is not None:
        event["body"] = body
    return event


def function_url(body: str) -> dict[str, Any]:
    event = apigw_http(body=body)
    event["requestContext"]["domainName"] = "abcdefg.lambda-url.us-east-1.on.aws"
    return event


def alb(query: str = "x", header: str = "y") -> dict[str, Any]:
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/1"}},
        "httpMethod": "GET", "path": "/lambda",
        "multiValueQueryStringParameters": {"a": ["1", query]},
        "multiValueHeaders": {"x-custom": [header], "x-amzn-trace-id": ["Root=1-5c536348-3d683b8b04734faae651f476"]},
        "body": "", "isBase64Encoded": False,
    }


def sqs(*bodies: str) -> dict[str, Any]:
    return {"Records": [
        {"messageId": f"id-{i}", "receiptHandle": "AQEB" + "x" * 40, "body": b,
         "attributes": {"SenderId": "AIDAIENQZJOLO23YVJ4VO"}, "messageAttributes": {},
         "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:q", "awsRegion": "us-east-2"}
        for i, b in enumerate(bodies)]}


def sns(message: str, subject: str = "hi") -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:t:1",
                         "Sns": {"Type": "Notification", "MessageId": "95df01b4", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                                 "Subject": subject, "Message": message, "Timestamp": "2019-01-02T12:45:07.000Z",
                                 "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...==",
                                 "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
                                 "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                                 "MessageAttributes": {"k": {"Type": "String", "Value": "v"}}}}]}


def eventbridge(detail: Any) -> dict[str, Any]:
    return {"version": "0", "id": "6a7e8feb", "detail-type": "Order Placed", "source": "com.example",
            "account": "123456789012", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/x"], "detail": detail}


def s3(key: str) -> dict[str, Any]:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                         "eventTime": "2024-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
                         "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
                         "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                         "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
                         "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                                "object": {"key": key, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}}}]}


def dynamodb(name: str) -> dict[str, Any]:
    return {"Records": [{"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
                         "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024",
                         "dynamodb": {"Keys": {"Id": {"N": "101"}},
                                      "NewImage": {"Id": {"N": "101"}, "Name": {"S": name}},
                                      "SequenceNumber": "111", "StreamViewType": "NEW_AND_OLD_IMAGES"}}]}


def kinesis(*payloads: Any) -> dict[str, Any]:
    def data(p: Any) -> str:
        raw = p if isinstance(p, str) else json.dumps(p)
        return base64.b64encode(raw.encode()).decode()

    return {"Records": [{"eventSource": "aws:kinesis", "eventID": f"shardId-000:{i}",
                         "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                         "kinesis": {"partitionKey": "pk", "data": data(p), "sequenceNumber": "4959",
                                     "approximateArrivalTimestamp": 1545084650.987, "kinesisSchemaVersion": "1.0"}}
                        for i, p in enumerate(payloads)]}
