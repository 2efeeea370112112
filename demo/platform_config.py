"""lti1p3platform's registration and platform configuration, built anew for each request.

``Registration`` caches the tool's key set forever, and ``LTI1P3PlatformConfAbstract`` keeps
the last decoded JWT on the instance. Objects built per request therefore see a rotated tool
key at once and never share a decoded token between threads.
"""

import time
from collections.abc import Mapping
from typing import Any

from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from demo.keys import PlatformKey, SigningOptions, sign_jwt


class DemoRegistration(Registration):
    """A registration whose tokens are signed by :func:`demo.keys.sign_jwt`.

    ``signing_options`` apply to every token this registration signs, which lets a test
    forge a bad id_token through the library's normal launch code.
    """

    def __init__(self, signing_key: PlatformKey, signing_options: SigningOptions | None = None):
        super().__init__()
        self._signing_key = signing_key
        self._signing_options = signing_options
        self.set_platform_private_key(signing_key.private_key_pem)
        self.set_platform_public_key(signing_key.public_key_pem)

    def platform_encode_and_sign(self, payload: dict[str, Any], expiration: int | None = None) -> str:
        claims = dict(payload)
        if expiration:
            now = int(time.time())
            claims["iat"] = now
            claims["exp"] = now + expiration
        return sign_jwt(claims, self._signing_key, self._signing_options)

    def encode_and_sign(
        self,
        payload: dict[str, Any],
        private_key: str,
        headers: dict[str, Any] | None = None,
        expiration: int | None = None,
    ) -> str:
        # The library signs access tokens through this static method, without a kid header.
        # Signing them with the registration's key and kid lets the NRPS endpoint find the
        # key of a token issued before a key rotation.
        if private_key != self._signing_key.private_key_pem:
            raise ValueError("DemoRegistration signs only with its own platform key.")
        return self.platform_encode_and_sign(payload, expiration)


class DemoPlatformConf(LTI1P3PlatformConfAbstract):
    """The platform configuration for one request, holding one prepared registration."""

    def init_platform_config(self, *, registration: Registration, **kwargs: Any) -> None:
        self._request_registration = registration
        self.get_registration()

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._request_registration


class ParamsRequest(Request):
    """An lti1p3platform request built from parameters that the caller has already parsed.

    ``DemoPlatform`` is usable without HTTP, so it cannot hand the library a framework request.
    """

    def __init__(
        self,
        *,
        method: str = "GET",
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(
            {
                "method": method,
                "query": dict(query or {}),
                "form": dict(form or {}),
                "headers": dict(headers or {}),
            }
        )

    def build_metadata(self, request: dict[str, Any]) -> TRequest:
        return {
            "method": request["method"],
            "form_data": request["form"],
            "get_data": request["query"],
            "headers": request["headers"],
            "content_type": None,
            "path": "",
            "json": None,
        }
