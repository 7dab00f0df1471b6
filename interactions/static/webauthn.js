// Runs the WebAuthn ceremony for forms marked data-passkey, then submits the browser's response as a form field.
(function () {
  'use strict';
  var browser = window.SimpleWebAuthnBrowser;

  function optionsOf(form) {
    return JSON.parse(document.getElementById(form.getAttribute('data-options')).textContent);
  }

  function showError(form, message) {
    var box = form.querySelector('[data-passkey-error]');
    box.textContent = message;
    box.hidden = false;
  }

  function submitWith(form, response) {
    form.querySelector('input[name="response"]').value = JSON.stringify(response);
    form.submit();
  }

  // Browsers give one error (NotAllowedError) for a cancelled or timed-out request and for a device that could not
  // check who is there: say what each needs, since trying again does not fix the second.
  function explain(error, mode) {
    if (error && error.name === 'NotAllowedError') {
      return (
        (mode === 'register' ? 'No passkey was created. ' : 'The passkey did not sign you in. ') +
        'This site needs your device to check it is you with a PIN, fingerprint or face: if it asked for none, set one up on the device or use another device, then try again. If you cancelled, just try again.'
      );
    }
    if (error && error.name === 'InvalidStateError') return 'This device already has a passkey for your account.';
    return 'Your browser could not use a passkey here' + (error && error.message ? ': ' + error.message : '.');
  }

  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    var mode = form.getAttribute('data-passkey');
    if (!browser || !browser.browserSupportsWebAuthn()) {
      showError(form, 'This browser does not support passkeys.');
      form.querySelector('button').disabled = true;
      return;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var start = mode === 'register' ? browser.startRegistration : browser.startAuthentication;
      start({ optionsJSON: optionsOf(form) }).then(
        function (response) {
          submitWith(form, response);
        },
        function (error) {
          showError(form, explain(error, mode));
        },
      );
    });
    if (mode === 'authenticate' && form.getAttribute('data-autofill') === 'true') {
      browser.browserSupportsWebAuthnAutofill().then(function (supported) {
        if (!supported) return;
        browser.startAuthentication({ optionsJSON: optionsOf(form), useBrowserAutofill: true }).then(
          function (response) {
            submitWith(form, response);
          },
          function () {},
        );
      });
    }
  });
})();
