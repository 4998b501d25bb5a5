# werker's email-notify: send the mail with python's smtplib, as wercker's step did.
# Arguments: HOST[:PORT] FROM TO SUBJECT BODY-FILE USERNAME; the password comes in
# $WERKER_SMTP_PASSWORD (never on a command line). STARTTLS when the server offers it (port 465:
# TLS from the start), certificates not verified, as smtplib does by default and wercker's step
# did; the login is refused without TLS. Prints what was sent; exits 3 when the server refuses.
# Python 2 and 3.
import os
import smtplib
import socket
import ssl
import sys
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid


def text(value):
    return value.decode('utf-8') if isinstance(value, bytes) else value


def unverified():
    try:
        return ssl._create_unverified_context()
    except AttributeError:  # before Python 2.7.9
        return None


def connect(host, port):
    if port == 465:
        context = unverified()
        if context is None:
            return smtplib.SMTP_SSL(host, port, timeout=60), 'TLS'
        return smtplib.SMTP_SSL(host, port, timeout=60, context=context), 'TLS'
    server = smtplib.SMTP(host, port, timeout=60)
    server.ehlo()
    if not server.has_extn('starttls'):
        return server, ''
    try:
        server.starttls(context=unverified())
    except TypeError:  # Python 2's starttls takes no context
        server.starttls()
    server.ehlo()
    return server, 'STARTTLS'


def main(argv):
    address, sender, to, subject, body_file, username = [text(a) for a in argv[1:7]]
    password = text(os.environ.get('WERKER_SMTP_PASSWORD', ''))
    host, _, port = address.partition(':')
    port = int(port or 25)
    recipients = [r.strip() for r in to.replace(';', ',').split(',') if r.strip()]
    with open(body_file, 'rb') as f:
        body = text(f.read())
    message = MIMEText(body, 'plain', 'utf-8')
    message['Subject'] = Header(subject, 'utf-8')
    message['From'] = sender
    message['To'] = to
    message['Date'] = formatdate()
    message['Message-ID'] = make_msgid('werker')
    try:
        server, tls = connect(host, port)
        if username or password:
            if not tls:
                sys.stderr.write('the SMTP server %s does not offer STARTTLS: the password is not sent in the clear\n' % address)
                return 3
            server.login(username, password)
        server.sendmail(sender, recipients, message.as_string())
        server.quit()
    except smtplib.SMTPAuthenticationError as err:
        sys.stderr.write('the SMTP server %s refused the login of %s: %s %s\n' % (address, username, err.smtp_code, text(err.smtp_error)))
        return 3
    except smtplib.SMTPResponseException as err:
        sys.stderr.write('the SMTP server %s refused the mail: %s %s\n' % (address, err.smtp_code, text(err.smtp_error)))
        return 3
    except (smtplib.SMTPException, socket.error, ssl.SSLError) as err:
        sys.stderr.write('could not talk to the SMTP server %s: %s\n' % (address, err))
        return 3
    sys.stdout.write('sent to %s through %s%s\n' % (', '.join(recipients), address, ' (%s)' % tls if tls else ''))
    return 0


sys.exit(main(sys.argv))
