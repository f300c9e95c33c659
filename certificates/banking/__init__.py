"""모의 인터넷뱅킹: a relying party inside the app that signs in and approves transfers with the
customer's 금융인증서, verifying every signature as a bank must."""
