/* The simple story editor. (The quick exit is static/js/quick-exit.js, shared with the public site.) */
(function () {
  "use strict";

  // The simple editor: paragraphs, bold, italic, lists and links. Without JavaScript the
  // plain text box still works; the server cleans whatever arrives either way.
  var areas = document.querySelectorAll("textarea[data-simple-editor]");
  Array.prototype.forEach.call(areas, function (textarea) {
    var toolbar = document.createElement("div");
    toolbar.className = "simple-editor__toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    var editor = document.createElement("div");
    editor.className = "simple-editor__area";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    var label = document.querySelector("label[for='" + textarea.id + "']");
    if (label) {
      label.id = label.id || textarea.id + "-label";
      editor.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { editor.focus(); });
    }
    // The box stands in for the hidden textarea, so it carries the hint and any error too.
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (textarea.hasAttribute(name)) { editor.setAttribute(name, textarea.getAttribute(name)); }
    });
    // Without JavaScript the box holds plain paragraphs; the editor starts from the
    // formatted story and tells the server it sends formatted text now.
    editor.innerHTML = textarea.hasAttribute("data-html") ? textarea.getAttribute("data-html") : textarea.value;
    textarea.value = editor.innerHTML;
    var format = textarea.form && textarea.form.querySelector("input[name='" + textarea.name + "_format']");
    if (format) { format.value = "html"; }
    var buttons = [
      ["bold", "Bold"], ["italic", "Italic"],
      ["insertUnorderedList", "Bulleted list"], ["insertOrderedList", "Numbered list"],
      ["createLink", "Link"]
    ];
    buttons.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[1];
      button.addEventListener("click", function () {
        editor.focus();
        if (spec[0] === "createLink") {
          var url = window.prompt("Address of the link (starting with https://)");
          if (url) { document.execCommand("createLink", false, url); }
        } else {
          document.execCommand(spec[0], false, null);
        }
        textarea.value = editor.innerHTML;
      });
      toolbar.appendChild(button);
    });
    document.execCommand("defaultParagraphSeparator", false, "p");
    editor.addEventListener("input", function () { textarea.value = editor.innerHTML; });
    textarea.hidden = true;
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(editor, textarea);
    if (textarea.form) {
      textarea.form.addEventListener("submit", function () { textarea.value = editor.innerHTML; });
    }
  });
})();
