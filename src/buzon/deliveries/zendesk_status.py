"""Zendesk's delivery-status vocabulary (id, name, code), chosen from an SMTP reply
code and enhanced status code, with our own explanation of each in English and
Spanish.

Pure Python on purpose: when `buzon.smtpcodes` lands, this module is replaced by
`from buzon.smtpcodes import zendesk_status, status_message`.

How a status is chosen (`zendesk_status`):
1. a row whose code is exactly "<reply code> <enhanced status>" (e.g. "550 5.1.1");
2. else a row for the enhanced status alone, whatever the reply code (ENHANCED_ROWS:
   e.g. 5.2.2 is MAILBOX_FULL even when the server said 452 or 550);
3. else a row whose code is the reply code alone (e.g. 550 MAILBOX_UNAVAILABLE);
4. else the general rows: 2xx is DELIVERED, anything else UNRECOGNIZED_EXTERNAL_ERROR.
"""

from __future__ import annotations

from typing import NamedTuple


class ZendeskStatus(NamedTuple):
    id: int
    name: str
    code: str


# id, name, code (Zendesk's table, reference/zendesk-delivery-status.tsv),
# then our own words: English, Spanish.
_ROWS: list[tuple[int, str, str, str, str]] = [
    (0, "NONE", "0",
     "No failure has been reported for this recipient.",
     "No se ha notificado ningún fallo para este destinatario."),
    (1, "UNRECOGNIZED_INTERNAL_ERROR", "1",
     "Buzón could not send this email. Add a public comment to try again.",
     "Buzón no pudo enviar este correo. Agregue un comentario público para reintentarlo."),
    (2, "UNRECOGNIZED_EXTERNAL_ERROR", "2",
     "The email could not be delivered. Add a public comment to try again.",
     "No se pudo entregar el correo. Agregue un comentario público para reintentarlo."),
    (3, "NET_SMTP_SYNTAX_ERROR", "3",
     "The mail server did not understand the conversation. Try sending again.",
     "El servidor de correo no entendió la conversación. Intente enviarlo de nuevo."),
    (4, "ACTIVE_RECORD_NOT_FOUND_ERROR", "4",
     "Something this email needed no longer exists. Try sending again.",
     "Algo que este correo necesitaba ya no existe. Intente enviarlo de nuevo."),
    (5, "DELIVERED", "200",
     "Accepted by the next mail server on the way to the recipient.",
     "Aceptado por el siguiente servidor de correo camino del destinatario."),
    (6, "SYNTAX_ERROR_COMMAND_UNRECOGNIZED", "500",
     "The receiving server did not recognise a command it was sent.",
     "El servidor receptor no reconoció una orden que se le envió."),
    (7, "AUTHENTICATION_EXCHANGE_LINE_TOO_LONG", "500 5.5.6",
     "The sign-in exchange with the mail server was too long.",
     "El intercambio de autenticación con el servidor de correo fue demasiado largo."),
    (8, "SYNTAX_ERROR_IN_ARGUMENTS", "501",
     "The receiving server refused the address or a parameter as malformed. "
     "Check the address for typos.",
     "El servidor receptor rechazó la dirección o un parámetro por estar mal formado. "
     "Revise la dirección por si tiene errores."),
    (9, "CANNOT_BASE64_DECODE_CLIENT_RESPONSES", "501 5.5.2",
     "The mail server could not decode the sign-in data.",
     "El servidor de correo no pudo decodificar los datos de autenticación."),
    (10, "CLIENT_INITIATED_AUTHENTICATION_EXCHANGE", "501 5.7.0",
     "The sign-in exchange was cancelled.",
     "Se canceló el intercambio de autenticación."),
    (11, "COMMAND_NOT_IMPLEMENTED", "502",
     "The receiving server does not support a command it was sent.",
     "El servidor receptor no admite una orden que se le envió."),
    (12, "BAD_SEQUENCE_OF_COMMANDS", "503",
     "The receiving server got commands in an unexpected order.",
     "El servidor receptor recibió las órdenes en un orden inesperado."),
    (13, "COMMAND_PARAMETER_NOT_IMPLEMENTED", "504",
     "The receiving server does not support a parameter it was sent.",
     "El servidor receptor no admite un parámetro que se le envió."),
    (14, "UNRECOGNIZED_AUTHENTICATION_TYPE", "504 5.5.4",
     "The mail server does not support the sign-in method used.",
     "El servidor de correo no admite el método de autenticación utilizado."),
    (15, "SMTP_SERVICE_NOT_AVAILABLE", "505",
     "The recipient's mail service is not available.",
     "El servicio de correo del destinatario no está disponible."),
    (16, "BAD_EMAIL_ADDRESS", "510",
     "The address is wrong. Check it for typos in the user's profile.",
     "La dirección es incorrecta. Revise si tiene errores en el perfil del usuario."),
    (17, "RECIPIENT_EMAIL_ADDRESS_INVALID", "511",
     "This is not a valid email address. Correct it in the user's profile.",
     "No es una dirección de correo válida. Corríjala en el perfil del usuario."),
    (18, "SENDER_EMAIL_ADDRESS_BLOCKED_OR_SUSPENDED", "517",
     "The receiving server blocks our sending address.",
     "El servidor receptor bloquea nuestra dirección de envío."),
    (19, "IP_AND_SPF_RECORD_DO_NOT_MATCH", "520",
     "The receiving server says our mail server is not allowed to send for our domain "
     "(SPF). Tell your administrator.",
     "El servidor receptor indica que nuestro servidor no está autorizado a enviar por "
     "nuestro dominio (SPF). Avise a su administrador."),
    (20, "SERVER_DOES_NOT_ACCEPT_MAIL", "521",
     "The recipient's server does not accept email at all.",
     "El servidor del destinatario no acepta correo."),
    (21, "SENDER_IP_ON_BLOCKLIST", "522",
     "Our mail server is on a block list the receiving server uses. "
     "Tell your administrator.",
     "Nuestro servidor de correo figura en una lista de bloqueo que usa el servidor "
     "receptor. Avise a su administrador."),
    (22, "ENCRYPTION_NEEDED_OR_EMAIL_TOO_LARGE", "523",
     "The receiving server requires encryption, or the email is too large.",
     "El servidor receptor exige cifrado, o el correo es demasiado grande."),
    (23, "DISABLED_RECIPIENT_ADDRESS", "525",
     "The recipient's account is disabled. Contact the user another way.",
     "La cuenta del destinatario está desactivada. Contacte al usuario por otro medio."),
    (24, "AUTHENTICATION_REQUIRED", "530",
     "The mail server requires us to sign in. Tell your administrator.",
     "El servidor de correo exige autenticación. Avise a su administrador."),
    (25, "AUTHENTICATION_MECHANISM_WEAK", "534 5.7.9",
     "The mail server considers our sign-in method too weak.",
     "El servidor de correo considera demasiado débil nuestro método de autenticación."),
    (26, "AUTHENTICATION_CREDENTIALS_INVALID", "534 5.7.8",
     "The mail server rejected our credentials. Tell your administrator.",
     "El servidor de correo rechazó nuestras credenciales. Avise a su administrador."),
    (27, "ENCRYPTION_REQUIRED", "538 5.7.11",
     "The receiving server only accepts encrypted connections.",
     "El servidor receptor solo acepta conexiones cifradas."),
    (28, "RECIPIENT_ADDRESS_REJECTED_INACTIVE", "540",
     "The recipient's address is inactive. Contact the user another way.",
     "La dirección del destinatario está inactiva. Contacte al usuario por otro medio."),
    (29, "MAILBOX_UNAVAILABLE", "550",
     "The recipient's server refused the email for this mailbox. Read the server's "
     "answer for why.",
     "El servidor del destinatario rechazó el correo para este buzón. Lea la respuesta "
     "del servidor para saber por qué."),
    (30, "USER_NOT_LOCAL", "551",
     "The recipient is not known at this server; the address may have changed.",
     "El destinatario no es conocido en este servidor; puede que su dirección haya cambiado."),
    (31, "MAILBOX_FULL", "552",
     "The recipient's mailbox is full. Contact the user another way, or try again later.",
     "El buzón del destinatario está lleno. Contacte al usuario por otro medio o vuelva "
     "a intentarlo más tarde."),
    (32, "MAILBOX_NAME_NOT_ALLOWED", "553",
     "The mailbox name is not allowed. Check the address for typos.",
     "El nombre del buzón no está permitido. Revise si la dirección tiene errores."),
    (33, "TRANSACTION_FAILED", "554",
     "The recipient's server refused the email.",
     "El servidor del destinatario rechazó el correo."),
    (34, "MESSAGE_TOO_BIG", "554 5.3.4",
     "The email is larger than the recipient's server accepts. Remove attachments "
     "and send again.",
     "El correo supera el tamaño que acepta el servidor del destinatario. Quite "
     "adjuntos y vuelva a enviarlo."),
    (35, "DOMAIN_DOES_NOT_ACCEPT_MAIL", "556",
     "The recipient's domain does not accept email. Check the domain for typos.",
     "El dominio del destinatario no acepta correo. Revise si el dominio tiene errores."),
    (36, "MESSAGE_REJECTED_SUSPECTED_SPAM", "558",
     "The recipient's server took the email for spam.",
     "El servidor del destinatario consideró el correo como spam."),
    (37, "RECIPIENT_ADDRESS_REJECTED", "577",
     "The recipient's server rejected the address.",
     "El servidor del destinatario rechazó la dirección."),
    (38, "MAILBOX_INVALID", "550 5.0.0",
     "The mailbox is not valid at the recipient's server.",
     "El buzón no es válido en el servidor del destinatario."),
    (39, "USER_DOES_NOT_EXIST", "550 5.1.1",
     "The mailbox does not exist. Check the address for typos in the user's profile.",
     "El buzón no existe. Revise si la dirección del perfil del usuario tiene errores."),
    (40, "RECIPIENT_IS_INACTIVE", "550 5.2.1",
     "The recipient's mailbox is disabled. Contact the user another way.",
     "El buzón del destinatario está desactivado. Contacte al usuario por otro medio."),
    (41, "RECIPIENT_REJECTED_ADDRESS", "541",
     "The recipient's server rejected the email, often as spam.",
     "El servidor del destinatario rechazó el correo, a menudo como spam."),
    (42, "HEADER_SIZE_EXCEEDS_FIXED_MAXIMUM_SIZE", "552 5.3.4",
     "The email (or its headers) is larger than the recipient's server accepts.",
     "El correo (o sus encabezados) supera el tamaño que acepta el servidor del "
     "destinatario."),
    (43, "FILE_TYPES_BLOCKED", "552 5.7.0",
     "The recipient's server blocks a type of file attached to the email.",
     "El servidor del destinatario bloquea un tipo de archivo adjunto al correo."),
    (44, "AUTHENTICATION_INVALID", "535",
     "The mail server rejected our sign-in. Tell your administrator.",
     "El servidor de correo rechazó nuestra autenticación. Avise a su administrador."),
    (45, "AUTHENTICATION_UNSUCCESSFUL", "535 5.7.139",
     "Signing in to the mail server failed. Tell your administrator.",
     "Falló la autenticación en el servidor de correo. Avise a su administrador."),
    (46, "EC_INTEGRATION_ERROR", "EC-001",
     "The connected email account could not send the email.",
     "La cuenta de correo conectada no pudo enviar el correo."),
    (47, "EC_INSUFFICIENT_STORAGE", "EC-002",
     "The connected email account is out of storage.",
     "La cuenta de correo conectada no tiene espacio."),
    (48, "EC_ERROR", "EC-003",
     "The connected email account reported an error.",
     "La cuenta de correo conectada informó de un error."),
    (49, "EC_INVALID_RECIPIENT", "EC-004",
     "The connected email account says the recipient is invalid.",
     "La cuenta de correo conectada indica que el destinatario no es válido."),
    (50, "EC_THROTTLED", "EC-005",
     "The connected email account is sending too fast and was slowed down.",
     "La cuenta de correo conectada envía demasiado rápido y se limitó."),
    (51, "EC_AUTHENTICATION_INVALID", "EC-006",
     "The connected email account needs to be signed in again.",
     "Hay que volver a autenticar la cuenta de correo conectada."),
    (52, "INCORRECT_AUTHENTICATION_LEVEL", "550 5.7.515",
     "The recipient's domain requires sender authentication (SPF, DKIM, DMARC) we did "
     "not meet. Tell your administrator.",
     "El dominio del destinatario exige una autenticación del remitente (SPF, DKIM, "
     "DMARC) que no cumplimos. Avise a su administrador."),
    (53, "NO_SUCH_USER", "585 5.1.1",
     "There is no such user at the recipient's server.",
     "No existe ese usuario en el servidor del destinatario."),
    (54, "NOT_ALLOWED_TO_RECEIVE_EMAIL", "542 5.0.0",
     "The recipient is not allowed to receive email.",
     "El destinatario no tiene permitido recibir correo."),
]  # fmt: skip

STATUSES: dict[int, ZendeskStatus] = {r[0]: ZendeskStatus(r[0], r[1], r[2]) for r in _ROWS}
MESSAGES: dict[int, dict[str, str]] = {r[0]: {"en": r[3], "es": r[4]} for r in _ROWS}
_BY_CODE: dict[str, ZendeskStatus] = {s.code: s for s in STATUSES.values()}

# An enhanced status that names the problem whatever reply code came with it.
ENHANCED_ROWS: dict[str, int] = {
    "5.1.1": 39,  # bad destination mailbox: USER_DOES_NOT_EXIST
    "5.1.3": 17,  # bad destination mailbox address syntax
    "5.1.10": 35,  # null MX (RFC 7505): DOMAIN_DOES_NOT_ACCEPT_MAIL
    "5.2.1": 40,  # mailbox disabled
    "5.2.2": 31,  # mailbox full
    "5.3.4": 34,  # message too big
    "5.7.8": 26,
    "5.7.9": 25,
    "5.7.11": 27,
}

NONE = STATUSES[0]
INTERNAL_ERROR = STATUSES[1]
EXTERNAL_ERROR = STATUSES[2]
DELIVERED = STATUSES[5]


def zendesk_status(reply_code: int | str | None, enhanced_status: str | None) -> ZendeskStatus:
    """The Zendesk delivery status for an SMTP answer (see the module docstring)."""
    code = str(reply_code or "").strip()
    status = (enhanced_status or "").strip()
    if code and status and f"{code} {status}" in _BY_CODE:
        return _BY_CODE[f"{code} {status}"]
    if status in ENHANCED_ROWS:
        return STATUSES[ENHANCED_ROWS[status]]
    if code and code in _BY_CODE and len(code) == 3:
        return _BY_CODE[code]
    if code.startswith("2") or status.startswith("2."):
        return DELIVERED
    return EXTERNAL_ERROR


def status_message(status_id: int, locale: str = "en") -> str:
    """Our explanation of a status for agents, in `locale` ("en" or "es")."""
    messages = MESSAGES.get(status_id, MESSAGES[EXTERNAL_ERROR.id])
    return messages.get((locale or "en")[:2], messages["en"])
