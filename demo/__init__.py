"""A demo LMS for trying rooms-lti: an LTI 1.3 platform built on lti1p3platform.

An optional extra that app/ never imports. Start it with ``python -m demo``.
"""
