// The customer's order page: reads the order with the access token from the URL fragment, shows
// it, and offers the Cancel button exactly when the API says requestCancellation is allowed (with
// the API's own reason when it is not). Everything shown is set as text, never as HTML.
"use strict";

(function () {
  const API = "/graphql";
  // The page's GraphQL documents (also the ones a server in trusted-documents mode lets it run).
  const DOCUMENTS = "/order-assets/documents.json";
  const REASONS = [
    ["CHANGED_MIND", "I changed my mind"], ["ORDERED_BY_MISTAKE", "I ordered by mistake"],
    ["FOUND_BETTER_PRICE", "I found a better price"], ["DELIVERY_TOO_SLOW", "Delivery would take too long"],
    ["WRONG_ADDRESS_OR_ITEMS", "The address or items are wrong"], ["OTHER", "Another reason"],
  ];
  const WORDS = {
    OPEN: "Open", CANCELLATION_REQUESTED: "Cancellation requested", CANCELED: "Canceled",
    UNPAID: "Unpaid", PENDING: "Pending", PARTIALLY_PAID: "Partially paid", PAID: "Paid",
    PARTIALLY_REFUNDED: "Partially refunded", REFUNDED: "Refunded", UNFULFILLED: "Not shipped yet",
    IN_PROGRESS: "Being prepared", PARTIALLY_FULFILLED: "Partly shipped", FULFILLED: "Shipped",
    DELIVERED: "Delivered", PARTIALLY_RETURNED: "Partly returned", RETURNED: "Returned",
    AWAITING_SHIPMENT: "Being packed", SHIPPED: "Shipped", IN_TRANSIT: "In transit",
    OUT_FOR_DELIVERY: "Out for delivery", DELIVERY_FAILED: "Delivery failed",
    READY_FOR_PICKUP: "Ready for pickup in store", PICKED_UP: "Picked up",
    REQUIRES_ACTION: "Waiting", SUCCEEDED: "Sent", FAILED: "Failed", REMOVED: "Removed",
  };
  // An item's status where it reads otherwise than the order's.
  const ITEM_WORDS = { OPEN: "Not shipped yet", FULFILLED: "Shipped" };

  const page = document.getElementById("page");
  let documents = null;
  const token = decodeURIComponent(window.location.hash.replace(/^#/, ""));

  function words(value) { return WORDS[value] || String(value).toLowerCase().replace(/_/g, " "); }
  function money(m) { return m ? `${m.amount} ${m.currency}` : ""; }
  function say(text, isError) {
    page.replaceChildren();
    const p = document.createElement("p");
    p.id = "status-line";
    p.textContent = text;
    if (isError) p.className = "error";
    page.append(p);
  }
  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  // The order the token is for: its first 16 bytes (after "ogc_", base64url) are the order's id.
  function orderIdFromToken(value) {
    const body = value.slice(4).split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Array.from(atob(body + "===".slice((body.length + 3) % 4)).slice(0, 16), (c) => c.charCodeAt(0));
    const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return btoa(`Order:${uuid}`);
  }

  async function call(query, variables) {
    const response = await fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/graphql-response+json, application/json;q=0.9",
                 "Authorization": `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 429) throw new Error("Too many requests; please try again in a minute.");
    if (body.errors && body.errors.length) {
      const code = body.errors[0].extensions && body.errors[0].extensions.code;
      if (code === "UNAUTHENTICATED") throw new Error("This link has expired or is not valid. Ask the store for a new one.");
      throw new Error(body.errors[0].message || "Something went wrong.");
    }
    return body.data;
  }

  function render(order) {
    page.replaceChildren(document.getElementById("order-template").content.cloneNode(true));
    const field = (name) => page.querySelector(`[data-field="${name}"]`);
    const list = (name) => page.querySelector(`[data-list="${name}"]`);
    field("number").textContent = `#${order.number}`;
    field("placed").textContent = new Date(order.createdAt).toLocaleString();
    for (const name of ["status", "paymentStatus", "fulfillmentStatus"]) field(name).textContent = words(order[name]);
    if (order.cancellation && order.cancellation.status === "AWAITING_REFUND") {
      field("status").textContent += " (canceled; your refund is on its way)";
    }

    for (const line of order.lines) {
      if (line.quantity === 0) continue;  // every unit was removed from the order
      const row = document.createElement("tr");
      cell(row, line.name);
      cell(row, ITEM_WORDS[line.status] || words(line.status), "item-status");
      cell(row, String(line.quantity), "num");
      cell(row, money(line.unitPrice), "num");
      cell(row, money(line.total), "num");
      list("lines").append(row);
    }
    const totals = [["Subtotal", order.subtotal], ["Shipping", order.shipping], ["Duties", order.duties],
                    ["Taxes", order.taxes], ["Total", order.total], ["Refunded", order.totalRefunded]];
    for (const [label, amount] of totals) {
      if (label !== "Total" && Number(amount.amount) === 0) continue;
      const row = document.createElement("tr");
      if (label === "Total") row.className = "grand";
      cell(row, label);
      cell(row, money(amount), "num");
      list("totals").append(row);
    }

    if (order.shipments.length) {
      page.querySelector('[data-section="shipments"]').hidden = false;
      for (const shipment of order.shipments) {
        const item = document.createElement("li");
        const units = shipment.lines.reduce((sum, l) => sum + l.quantity, 0);
        item.append(`${words(shipment.status)}: ${units} item(s)` + (shipment.carrier ? ` with ${shipment.carrier}` : ""));
        if (shipment.trackingNumber) {
          item.append(" · ");
          if (shipment.trackingUrl && /^https?:\/\//.test(shipment.trackingUrl)) {
            const link = document.createElement("a");
            link.href = shipment.trackingUrl;
            link.rel = "noopener noreferrer";
            link.target = "_blank";
            link.textContent = `Track ${shipment.trackingNumber}`;
            item.append(link);
          } else {
            item.append(`Tracking number ${shipment.trackingNumber}`);
          }
        }
        if (shipment.estimatedDelivery) item.append(` · expected ${shipment.estimatedDelivery}`);
        list("shipments").append(item);
      }
    }
    if (order.refunds.length) {
      page.querySelector('[data-section="refunds"]').hidden = false;
      for (const refund of order.refunds) {
        const item = document.createElement("li");
        item.textContent = `${money(refund.total)} · ${words(refund.status)} · ${new Date(refund.createdAt).toLocaleDateString()}`;
        list("refunds").append(item);
      }
    }

    const action = order.availableActions.requestCancellation;
    const form = document.getElementById("cancel-form");
    const reason = field("cancelReason");
    if (action.allowed) {
      const select = document.getElementById("cancel-why");
      for (const [value, label] of REASONS) select.add(new Option(label, value));
      form.hidden = false;
      form.addEventListener("submit", (event) => { event.preventDefault(); cancel(order, form); });
    } else {
      reason.hidden = false;
      reason.textContent = action.reason ? action.reason.message : "This order can't be canceled online.";
      const answer = order.cancellationRequest;
      if (answer && answer.status === "DECLINED" && answer.message) reason.textContent += ` The store said: “${answer.message}”`;
    }
  }

  async function cancel(order, form) {
    const button = document.getElementById("cancel-button");
    button.disabled = true;
    const input = { orderId: order.id, reason: form.reason.value };
    if (form.comment.value.trim()) input.comment = form.comment.value.trim();
    try {
      const result = (await call(documents.cancel, { input })).requestCancellation;
      if (result.__typename !== "RequestCancellationSuccess") throw new Error(result.message);
      render(result.order);
      const done = document.getElementById("cancel-result");
      done.hidden = false;
      done.textContent = result.outcome === "CANCELED"
        ? (result.order.status === "CANCELED" ? "Your order is canceled. Any payment is refunded to the way you paid."
          : "Your order is canceled. Your refund is on its way to the way you paid.")
        : "Your request is with the store; we'll email you their answer.";
    } catch (error) {
      button.disabled = false;
      const done = document.getElementById("cancel-result");
      done.hidden = false;
      done.className = "error";
      done.textContent = error.message;
    }
  }

  async function main() {
    if (!/^ogc_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      say("Open this page from the “View order details” link in your order email.", true);
      return;
    }
    try {
      documents = await (await fetch(DOCUMENTS)).json();
      const data = await call(documents.order, { id: orderIdFromToken(token) });
      if (!data.order) throw new Error("This order could not be found.");
      document.title = `Order #${data.order.number}`;
      render(data.order);
    } catch (error) {
      say(error.message, true);
    }
  }

  main();
})();
