# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the CDN tier finds: its bucket, Origin Access Control and distribution, the static files on
both sides, and the compute tier's public ALB (through the stack view)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible_collections.hatrading.aws.plugins.module_utils.cdn import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.together import read_together


def read_distribution(cloudfront, stack, comment):
    """The stack's distribution: the summary with our comment whose tags say it is ours, with its config and ETag."""
    for summary in cloudfront.distributions():
        if summary.get("Comment") != comment:
            continue
        tags = cloudfront.tags_of(summary["ARN"])
        if not model.belongs(tags, stack):
            continue
        config, etag = cloudfront.distribution_config(summary["Id"])
        if config is None:
            continue
        return {"summary": summary, "tags": tags, "config": config, "etag": etag}
    return None


def read_oac(cloudfront, name):
    for item in cloudfront.origin_access_controls():
        if item.get("Name") == name:
            return item
    return None


def read_state(clients, stack, names):
    """What exists: bucket (seven reads), origin access control (one), distribution (three)."""
    found = read_together(  # one branch a service (core/together.py)
        {
            "s3": lambda: clients.s3.bucket_settings(names["bucket"]),
            "cloudfront": lambda: (
                read_distribution(clients.cloudfront, stack, names["comment"]),
                read_oac(clients.cloudfront, names["origin_access_control"]),
            ),
        }
    )
    raw_bucket, (distribution, oac) = found["s3"], found["cloudfront"]
    have = {
        "bucket": model.actual_bucket(raw_bucket),
        "bucket_policy": raw_bucket.get("policy"),
        "origin_access_control": model.actual_oac(oac),
        "distribution_raw": distribution,
        "distribution": None,
    }
    if distribution:
        have["distribution"] = model.normalize_distribution(distribution["config"])
        have["distribution"]["tags"] = distribution["tags"]
        have["distribution"]["id"] = distribution["summary"]["Id"]
    return have


def alb_domain(view):
    """The DNS name of the stack's public ALB (the compute tier's, in front of the front-end), or None when it does not exist."""
    found = view.load_balancer("frontend")
    return found["DNSName"] if found else None


def local_files(root):
    """key -> {"md5", "size", "content_type", "path"} for every file under ``root`` (hidden ones skipped)."""
    found = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            digest = hashlib.md5()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            found[key] = {"md5": digest.hexdigest(), "size": os.path.getsize(path), "content_type": model.content_type(key), "path": path}
    return found


def remote_files(s3, bucket, local):
    """The bucket's objects for the local keys; an object whose ETag is not the local MD5 is read once more
    for the MD5 kept in its metadata (an SSE-KMS object's ETag is not its MD5)."""
    remote = {}
    for key, item in s3.objects(bucket).items():
        remote[key] = {"etag": item["etag"]}
        if key in local and local[key]["md5"] != item["etag"]:
            head = s3.object_head(Bucket=bucket, Key=key) or {}
            remote[key].update(md5=(head.get("Metadata") or {}).get("md5"), content_type=head.get("ContentType"))
    return remote
