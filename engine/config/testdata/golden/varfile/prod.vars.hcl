# Values for production, kept by mistake beside the configuration.
discord_token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-token-in-a-var-file"
