// R28: once django-otp-webauthn's script has registered a passkey, post the
// name the person typed for it (the form stays a plain POST with CSRF).
document.addEventListener("otp_webauthn.register_complete", function (event) {
  var form = document.getElementById("passkey-name-form");
  var id = event.detail && event.detail.id;
  if (!form || !id) {
    return;
  }
  form.querySelector("input[name='passkey-passkey']").value = id;
  form.submit();
});
